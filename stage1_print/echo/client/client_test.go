package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestClient builds the echo server and this client, starts the server on
// a free port, and runs the client against it over real sockets.
func TestClient(t *testing.T) {
	dir := t.TempDir()
	server := build(t, "..", filepath.Join(dir, "echo"))
	client := build(t, ".", filepath.Join(dir, "client"))

	t.Run("lines from the arguments", func(t *testing.T) {
		port := serve(t, server, "127.0.0.1")
		out, errOut := run(t, client, "", 0, "-host", "127.0.0.1", "-port", port, "hello", "two words")
		want(t, "stdout", out, "hello\ntwo words\n")
		contains(t, errOut, "127.0.0.1 is 127.0.0.1\n", "trying 127.0.0.1:"+port+" ... connected\n")
	})

	t.Run("lines from stdin, bytes as they are", func(t *testing.T) {
		port := serve(t, server, "127.0.0.1")
		out, _ := run(t, client, "one\ntwo\r\nthree\n", 0, "-host", "127.0.0.1", "-port", port)
		want(t, "stdout", out, "one\ntwo\r\nthree\n")
	})

	t.Run("localhost: every address, in order, until one answers", func(t *testing.T) {
		addrs, err := net.LookupHost("localhost")
		if err != nil || !slices.Contains(addrs, "127.0.0.1") {
			t.Skipf("localhost does not resolve to 127.0.0.1 here (%v, %v)", addrs, err)
		}
		port := serve(t, server, "127.0.0.1")
		out, errOut := run(t, client, "", 0, "-port", port, "hi")
		want(t, "stdout", out, "hi\n")
		var lines []string
		for _, a := range addrs {
			hp := net.JoinHostPort(a, port)
			lines = append(lines, "trying "+hp+" ... ")
			if a == "127.0.0.1" {
				break // the server's address: the client stops there
			}
		}
		contains(t, errOut, append([]string{"localhost is " + strings.Join(addrs, ", ") + "\n"}, lines...)...)
	})

	t.Run("IPv6", func(t *testing.T) {
		ln, err := net.Listen("tcp", "[::1]:0")
		if err != nil {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		ln.Close()
		port := serve(t, server, "::1")
		out, errOut := run(t, client, "", 0, "-host", "::1", "-port", port, "over IPv6")
		want(t, "stdout", out, "over IPv6\n")
		contains(t, errOut, "trying [::1]:"+port+" ... connected\n")
	})

	t.Run("a line too long: the server hangs up, the client says so", func(t *testing.T) {
		port := serve(t, server, "127.0.0.1")
		// More than the sockets' buffers hold: the client is still writing
		// when the server hangs up, whichever way the hang-up reaches it.
		_, errOut := run(t, client, strings.Repeat("x", 16<<20)+"\n", 1, "-host", "127.0.0.1", "-port", port)
		contains(t, errOut, "connected\n", "the connection broke: ")
	})

	t.Run("nobody listening", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
		ln.Close() // a port that was free a moment ago, and has nobody now
		_, errOut := run(t, client, "", 1, "-host", "127.0.0.1", "-port", port, "anyone?")
		contains(t, errOut, "trying 127.0.0.1:"+port+" ... ", "no address of 127.0.0.1 answered on port "+port+"\n")
	})
}

// build compiles the package in dir to bin.
func build(t *testing.T, dir, bin string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the server: %v", err)
	}
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v\n%s", dir, err, out)
	}
	return bin
}

var readyRE = regexp.MustCompile(`^Serving TCP on (\S+) port ([0-9]+) \.\.\.$`)

// serve starts the echo server on addr and a free port, waits for its
// ready line and returns the port. The server is killed when t ends.
func serve(t *testing.T, bin, addr string) string {
	t.Helper()
	cmd := exec.Command(bin, "-bind", addr, "0")
	cmd.Env = append(cmd.Environ(), "NO_COLOR=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimRight(s, "\r\n")
	}()
	select {
	case l := <-line:
		m := readyRE.FindStringSubmatch(l)
		if m == nil || m[1] != addr {
			t.Fatalf("the server's first line is %q, want %q", l, "Serving TCP on "+addr+" port N ...")
		}
		return m[2]
	case <-time.After(30 * time.Second):
		t.Fatal("no ready line from the server within 30 s")
	}
	return ""
}

// run runs the client with args and stdin, checks its exit status, and
// returns its stdout and stderr.
func run(t *testing.T, bin, stdin string, status int, args ...string) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = 10 * time.Second
	timer := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Run()
	if got := cmd.ProcessState.ExitCode(); got != status {
		t.Fatalf("client %s: exit status %d (%v), want %d\nstdout: %q\nstderr: %q", strings.Join(args, " "), got, err, status, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

func want(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

// contains checks that text holds each part, in order.
func contains(t *testing.T, text string, parts ...string) {
	t.Helper()
	rest := text
	for _, p := range parts {
		i := strings.Index(rest, p)
		if i < 0 {
			t.Errorf("want %q (in this order: %q) in:\n%s", p, parts, text)
			return
		}
		rest = rest[i+len(p):]
	}
}
