package testscripts

// The stage server as a child process: its console (stdout and stderr as
// it prints them), waiting for the "Serving HTTP on" line, and stopping it
// the way a student does, with Ctrl-C.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// A console collects what a server prints. Both streams go to all, in
// order of arrival; stdout and stderr keep them apart for the builtin
// stdout/stderr assertions. changed is signalled after every write, so
// waiting for output needs no polling.
type console struct {
	mu             sync.Mutex
	all            bytes.Buffer
	stdout, stderr bytes.Buffer
	changed        chan struct{}
}

func newConsole() *console { return &console{changed: make(chan struct{}, 1)} }

type consoleWriter struct {
	c      *console
	stream *bytes.Buffer
}

func (w consoleWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	w.c.all.Write(p)
	w.stream.Write(p)
	w.c.mu.Unlock()
	select {
	case w.c.changed <- struct{}{}:
	default: // a wake-up is already pending
	}
	return len(p), nil
}

func (c *console) text() (all, stdout, stderr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.all.String(), c.stdout.String(), c.stderr.String()
}

func (c *console) String() string { all, _, _ := c.text(); return all }

// waitFor calls ok with the console text until it returns true, the
// timeout passes, or stop is closed (the process exited: no more output).
func (c *console) waitFor(timeout time.Duration, stop <-chan struct{}, ok func(all, stdout string) bool) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		all, stdout, _ := c.text()
		if ok(all, stdout) {
			return true
		}
		select {
		case <-c.changed:
		case <-stop:
			all, stdout, _ := c.text()
			return ok(all, stdout)
		case <-timer.C:
			all, stdout, _ := c.text()
			return ok(all, stdout)
		}
	}
}

// A server is one run of a stage binary.
type server struct {
	cmd     *exec.Cmd
	args    []string // as given to serve (with -serve MODE), for "try it"
	argv    []string // the arguments it was started with
	env     []string // NAME=VALUE words given to serve
	console *console
	exited  chan struct{} // closed when the process has exited
	waitErr error         // set before exited is closed
	cancel  context.CancelFunc
}

// startServer starts prog with args (flags, then the port) and extra
// environment. A built binary runs in workDir (the script's folder); a
// -cmd command runs in its own folder.
func startServer(prog *program, extraEnv []string, workDir string, args []string) (*server, error) {
	ctx, cancel := context.WithCancel(context.Background())
	argv := prog.command(args)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = workDir
	if prog.argv != nil {
		cmd.Dir = prog.dir
	}
	cmd.Env = append(append(append(os.Environ(), "NO_COLOR=1", "PYTHONUNBUFFERED=1"), prog.env...), extraEnv...)
	s := &server{cmd: cmd, console: newConsole(), exited: make(chan struct{}), cancel: cancel}
	cmd.Stdout = consoleWriter{s.console, &s.console.stdout}
	cmd.Stderr = consoleWriter{s.console, &s.console.stderr}
	// A server that hands its stdout to a child (a CGI script) could keep
	// the pipe open after it exits; don't let Wait hang on that.
	cmd.WaitDelay = 2 * time.Second
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

func (s *server) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// waitExit waits up to d for the process to exit.
func (s *server) waitExit(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-s.exited:
		return true
	case <-timer.C:
		return false
	}
}

// kill ends the process if it still runs, and waits for it.
func (s *server) kill() {
	s.cancel() // exec.CommandContext kills the process
	<-s.exited
}

// exitCode is the exit status, or -1 for a process ended by a signal.
func (s *server) exitCode() int { return s.cmd.ProcessState.ExitCode() }

// status describes how the process ended: "exit status 2", "signal: interrupt".
func (s *server) status() string {
	if s.waitErr == nil {
		return "exit status 0"
	}
	var ee *exec.ExitError
	if errors.As(s.waitErr, &ee) {
		return ee.ProcessState.String()
	}
	return s.waitErr.Error()
}

// consoleTail is the last n lines of the console for a transcript, with
// a note on the process's fate if it has exited. After a panic, the lines
// from "panic:" on matter most: they are shown instead.
func (s *server) consoleTail(n int) []string {
	all := s.console.String()
	if i := strings.LastIndex(all, "\npanic: "); i >= 0 {
		all = all[i+1:]
		if lines := strings.SplitAfterN(all, "\n", n+1); len(lines) > n {
			all = strings.Join(lines[:n], "") + "…\n"
		}
	}
	lines := lastLines(all, n)
	if len(lines) == 0 {
		lines = []string{"(nothing printed)"}
	}
	if !s.running() {
		lines = append(lines, "(the server has exited: "+s.status()+")")
	}
	return lines
}

// readyRE matches the line every server prints once it is listening:
// "Serving HTTP on ADDR port N (http://ADDR:N/) ...", or for stage 1's
// exercises, which do not speak HTTP, "Serving TCP on ADDR port N ...".
var readyRE = regexp.MustCompile(`(?m)^Serving (?:HTTP on (\S+) port (\d+) \(http://[^)]*/\)|TCP on (\S+) port (\d+)) \.\.\.\r?\n`)

const readyPrefix = "Serving "

// ready reports whether stdout holds the complete ready line; addr and port
// are what it names (port "" if the line is there but does not parse).
func ready(stdout string) (addr, port string, found bool) {
	if m := readyRE.FindStringSubmatch(stdout); m != nil {
		if m[2] != "" {
			return m[1], m[2], true
		}
		return m[3], m[4], true
	}
	i := strings.Index(stdout, readyPrefix+"HTTP on ")
	if i < 0 {
		i = strings.Index(stdout, readyPrefix+"TCP on ")
	}
	return "", "", i >= 0 && strings.Contains(stdout[i:], "\n")
}
