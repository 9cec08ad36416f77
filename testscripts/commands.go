package testscripts

// The custom testscript commands. The reference for script writers is the
// package comment in doc.go; keep the two in step.

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

type cmdFunc = func(ts *testscript.TestScript, neg bool, args []string)

// commands returns the custom commands, for testscript.Params.Cmds.
// (A command named "stop" would be shadowed by the builtin; hence
// stop-server.)
func commands() map[string]cmdFunc {
	return map[string]cmdFunc{
		"serve":       cmdServe,
		"stop-server": cmdStopServer,
		"exitcode":    cmdExitcode,
		"console":     cmdConsole,
		"send":        cmdSend,
		"hold":        cmdHold,
		"client":      cmdClient,
		"expect":      cmdExpect,
		"random":      cmdRandom,
		"keep-header": cmdKeepHeader,
		"mkfile":      cmdMkfile,
		"hint":        cmdHint,
	}
}

// scriptState is one script's state, kept in testscript's Env.Values.
// Commands run one at a time on the script's goroutine: no locking.
type scriptState struct {
	suite      *suite
	dir        string // the script's folder, relative to testdata
	root       string // the workbook root
	seed       uint64
	rng        *rand.Rand
	seedLogged bool
	srv        *server   // the server of the last serve, running or not
	last       *exchange // the last send or client
	hints      []string  // the script's own hints, for every failure after them
	kept       string    // the copy of the work folder that "try it" lines name
	failure    string    // the transcript the script failed with, if it did
}

type stateKey struct{}

func newScriptState(s *suite, dir, root string) *scriptState {
	seed := uint64(time.Now().UnixNano() % 1e9)
	if v := os.Getenv("GRADER_SEED"); v != "" {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			seed = n
		}
	}
	return &scriptState{suite: s, dir: dir, root: root, seed: seed, rng: rand.New(rand.NewPCG(seed, seed))}
}

func state(ts *testscript.TestScript) *scriptState {
	st := ts.Value(stateKey{}).(*scriptState)
	if !st.seedLogged {
		st.seedLogged = true
		ts.Logf("seed: %d (rerun with GRADER_SEED=%d)", st.seed, st.seed)
	}
	return st
}

func (st *scriptState) transcript(ts *testscript.TestScript, subject, should string) *transcript {
	return &transcript{
		stage:   st.suite.name,
		subject: subject,
		should:  should,
		script:  st.dir + "/" + ts.Name() + ".txtar",
		seed:    st.seed,
		more:    st.hints,
	}
}

// fatal ends the script with the transcript, and keeps it for the
// workbook command's report.
func (st *scriptState) fatal(ts *testscript.TestScript, tr *transcript) {
	st.failure = tr.String()
	ts.Fatalf("%s", st.failure)
}

// failExchange ends the script with a transcript of ex and the failure.
func (st *scriptState) failExchange(ts *testscript.TestScript, ex *exchange, f *failure) {
	subject := ex.subject()
	if st.suite.lines {
		subject = ex.linesSubject()
	}
	tr := st.transcript(ts, subject, f.should)
	tr.ex, tr.lines = ex, f.lines
	if st.srv != nil {
		tr.tryIt = st.tryServer(ts, "8000") + "   # then, in a second terminal:\n" + ex.tryItAt("8000", st.speaksHTTP(), strings.HasPrefix(st.suite.stage, "final"))
	} else {
		tr.tryIt = ex.tryItAt(ex.port(), st.speaksHTTP(), strings.HasPrefix(st.suite.stage, "final"))
	}
	sock := socketHints(ex, stageNumber(st.suite.stage), st.suite.lines)
	if early := ex.earlyAnswer(); early != "" {
		sock = append([]string{early}, sock...) // the cause of what follows
	}
	tr.hints = append(sock, f.hints...)
	if srv := st.srv; srv != nil && (len(sock) > 0 || !srv.running()) {
		if ex.end == endEOF || ex.end == endReset {
			// A crash closes the connection a moment before the process
			// is reaped: give it that moment, so the console below can
			// say that the server died.
			srv.waitExit(300 * time.Millisecond)
		}
		tr.console = srv.consoleTail(10)
	}
	st.fatal(ts, tr)
}

// flags parses a command's flags; usage is the synopsis for errors. It
// returns the remaining arguments, checking there are min to max of them.
func flags(ts *testscript.TestScript, fs *flag.FlagSet, usage string, args []string, min, max int) []string {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if err == nil && (fs.NArg() < min || fs.NArg() > max) {
		err = fmt.Errorf("want %d to %d arguments, got %d", min, max, fs.NArg())
	}
	if err != nil {
		ts.Fatalf("usage: %s (%v)", usage, err)
	}
	return fs.Args()
}

func noNeg(ts *testscript.TestScript, neg bool, name string) {
	if neg {
		ts.Fatalf("%s does not support !", name)
	}
}

func hostport(ts *testscript.TestScript, cmd string) string {
	hp := ts.Getenv("HOSTPORT")
	if hp == "" {
		ts.Fatalf("%s: HOSTPORT is not set: start the server with serve first", cmd)
	}
	return hp
}

// serve [ARGS...]: start the stage with -bind 127.0.0.1 ARGS... 0 and wait
// for its "Serving HTTP on" line. ! serve ARGS...: it must exit non-zero
// without ever serving.
// envAssign is a NAME=VALUE word at the start of serve's arguments.
var envAssign = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

func cmdServe(ts *testscript.TestScript, neg bool, args []string) {
	st := state(ts)
	if st.srv != nil && st.srv.running() {
		ts.Fatalf("serve: a server is already running; stop-server first")
	}
	prog := st.suite.prog
	if reason, msg := prog.notReady(); reason != "" {
		ts.Fatalf("%s", msg)
	}
	// Leading NAME=VALUE words set the server's environment, as in a
	// shell: serve WORKBOOK_PANIC_ROUTE=1 -dir $WEB.
	var env []string
	for len(args) > 0 && envAssign.MatchString(args[0]) {
		env, args = append(env, args[0]), args[1:]
	}
	if st.suite.mode != "" {
		args = append([]string{"-serve", st.suite.mode}, args...)
	}
	if prog.argv != nil {
		// A command runs in its own folder, not the script's: give it the
		// script's folders as absolute paths.
		args = absDirs(ts, args)
	}
	argv := args
	if !slices.Contains(args, "-bind") {
		argv = append([]string{"-bind", "127.0.0.1"}, args...)
	}
	// The port is 0 (any free one), but for ! serve when the script gives
	// one: ! serve not-a-port must reach the server's check of its port.
	if !neg || !endsWithPort(args) {
		argv = append(slices.Clone(argv), "0")
	}
	srv, err := startServer(prog, env, ts.MkAbs("."), argv)
	if err != nil {
		ts.Fatalf("serve: cannot start %s: %v", strings.Join(prog.command(nil), " "), err)
	}
	srv.args, srv.env, srv.argv = args, env, argv
	st.srv = srv
	ts.Defer(srv.kill)
	if neg {
		refuseToServe(ts, st, srv)
		return
	}
	addr, port := waitReady(srv)
	if port == "8000" {
		// Asked for 0, the kernel picks from its ephemeral range, which
		// holds no 8000 on Linux, macOS or Windows: a port of its own.
		tr := st.transcript(ts, "the server", "listen on the port it is given")
		tr.tryIt = st.tryServer(ts, "0")
		tr.lines = []string{"it was started with port 0 (any free port) and says it listens on 8000"}
		tr.hints = []string{"take the port from the command line (the last argument), and print the one the kernel picked (from ln.Addr(), not the 0 that was asked for): a port written into the code collides as soon as two servers run."}
		tr.console = srv.consoleTail(5)
		st.fatal(ts, tr)
	}
	if port != "" && port != "0" {
		hp := net.JoinHostPort(addr, port)
		ts.Setenv("PORT", port)
		ts.Setenv("HOSTPORT", hp)
		ts.Setenv("URL", "http://"+hp)
		return
	}
	st.fatal(ts, st.notReadyTranscript(ts, port))
}

// endsWithPort reports whether serve's arguments end with a port of the
// script's own: a last word that is not a flag, nor a flag's value.
func endsWithPort(args []string) bool {
	n := len(args)
	return n > 0 && !strings.HasPrefix(args[n-1], "-") && (n == 1 || !strings.HasPrefix(args[n-2], "-"))
}

// waitReady waits up to 30 s for the ready line and returns the address
// and port it names. It gives up after a second when the server has
// printed a first line of another form, or the ready line on stderr: a
// student should not wait half a minute to read what went wrong.
func waitReady(srv *server) (addr, port string) {
	deadline := time.Now().Add(30 * time.Second)
	var wrongSince time.Time
	found := false
	for !found && srv.running() && time.Now().Before(deadline) {
		srv.console.waitFor(200*time.Millisecond, srv.exited, func(_, stdout string) bool {
			addr, port, found = ready(stdout)
			return found
		})
		_, stdout, stderr := srv.console.text()
		if !found && (strings.Contains(stdout, "\n") || strings.Contains(stderr, readyPrefix)) {
			if wrongSince.IsZero() {
				wrongSince = time.Now()
			} else if time.Since(wrongSince) > time.Second {
				break
			}
		}
	}
	return addr, port
}

// notReadyTranscript explains why the server never printed its ready line.
func (st *scriptState) notReadyTranscript(ts *testscript.TestScript, port string) *transcript {
	srv := st.srv
	bind := "127.0.0.1"
	if i := slices.Index(srv.args, "-bind"); i >= 0 && i+1 < len(srv.args) {
		bind = srv.args[i+1]
	}
	host := bind
	if strings.Contains(bind, ":") {
		host = "[" + bind + "]"
	}
	readyLine := fmt.Sprintf("Serving HTTP on %s port 8000 (http://%s:8000/) ...", bind, host)
	if st.suite.lines {
		readyLine = fmt.Sprintf("Serving TCP on %s port 8000 ...", bind)
	}
	tr := st.transcript(ts, "the server", "start and print "+strconv.Quote(strings.ReplaceAll(readyLine, "8000", "N")))
	// The exact arguments the grader gave, -bind included: a server that
	// trips over one of them must trip the same way by hand.
	tryArgs := slices.Clone(srv.argv)
	if n := len(tryArgs); n > 0 && tryArgs[n-1] == "0" {
		tryArgs[n-1] = "8000"
	}
	tr.tryIt = st.suite.prog.runLine(srv.env, tryArgs)
	_, stdout, stderr := srv.console.text()
	format := "the line must read exactly `" + readyLine + "` (with the real port) and end with a newline."
	first, _, _ := strings.Cut(stdout, "\n")
	switch {
	case port == "0":
		tr.lines = []string{"the ready line names port 0"}
		tr.hints = []string{"print the port the kernel picked, from ln.Addr(), not the 0 that was asked for."}
	case strings.Contains(stdout, readyPrefix):
		tr.lines = []string{"the ready line is not in the expected form: " + quoteLine(lineWith(stdout, readyPrefix))}
		tr.hints = []string{format}
	case srv.running() && strings.Contains(stderr, readyPrefix):
		srv.kill()
		tr.lines = []string{`the "Serving ..." line went to stderr, not stdout`}
		tr.hints = []string{"print it to stdout (fmt.Printf, not log.Printf; print(), not print(..., file=sys.stderr))."}
	case srv.running() && strings.Contains(stdout, "\n"):
		srv.kill()
		tr.lines = []string{"the first line it printed is " + quoteLine(first) + ", and no ready line followed"}
		tr.hints = []string{"the first line on stdout must be the ready line, printed once net.Listen has succeeded; " + format}
	case srv.running():
		srv.kill()
		tr.lines = []string{`no "Serving ..." line within 30s`}
		tr.hints = []string{"print the line once net.Listen has succeeded, before the accept loop, and flush it (a pipe is not a terminal: Python needs flush=True); " + format}
	default:
		tr.lines = []string{fmt.Sprintf(`it exited (%s) before printing the "Serving ..." line`, srv.status())}
		switch {
		case strings.Contains(stderr, "flag provided but not defined"):
			tr.hints = []string{"the server does not know one of these flags: does main define it (flag.String, flag.Int)?"}
		case strings.Contains(strings.ToLower(stderr), "address already in use"):
			tr.hints = []string{"the grader asked for port 0 (any free port), which is never in use: does the server take its port from the command line (the last argument)? A port written into the code collides as soon as two copies run."}
		default:
			tr.hints = []string{"run the command above and read its error."}
		}
	}
	tr.console = srv.consoleTail(15)
	return tr
}

// speaksHTTP reports whether the graded server answers in HTTP that curl
// accepts: from stage 3 on (stage 1 echoes, stage 2 has no status line).
func (st *scriptState) speaksHTTP() bool {
	return stageNumber(st.suite.stage) >= 3 && !strings.Contains(st.dir, "/") || st.suite.stage == "final"
}

// tryServer is the command that starts the graded server by hand, as the
// script started it but on port 8000. A student runs it after the grader
// is done, when the script's work folder is gone: a folder the script made
// and served is copied to a place that stays, and the line names the copy.
func (st *scriptState) tryServer(ts *testscript.TestScript, port string) string {
	srv := st.srv
	args := slices.Clone(srv.args)
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "-dir="); ok {
			args[i] = "-dir=" + st.keepDir(ts, v)
		} else if a == "-dir" && i+1 < len(args) {
			args[i+1] = st.keepDir(ts, args[i+1])
		}
	}
	return st.suite.prog.runLine(srv.env, append(args, port))
}

// keepDir returns how a student names the served folder dir after the run:
// the sample site as web (from the workbook root) or by its full path, and
// a folder of the script's own by its path in a copy of the script's whole
// work folder (so that a symlink out of it still leads somewhere), made
// once per script in a folder of this run's own.
func (st *scriptState) keepDir(ts *testscript.TestScript, dir string) string {
	abs := ts.MkAbs(dir)
	web := filepath.Join(st.root, "web")
	switch {
	case abs == web && st.suite.prog.ref != "":
		return "web"
	case abs == web:
		return web
	}
	work := ts.MkAbs(".")
	rel, err := filepath.Rel(work, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return dir
	}
	if _, err := os.Stat(abs); err != nil {
		return dir // a folder that does not exist, on purpose
	}
	if st.kept == "" {
		base := keptRoot()
		if base == "" {
			return abs
		}
		kept := filepath.Join(base, strings.ReplaceAll(st.suite.name, "/", "-")+"-"+ts.Name())
		if err := copyTree(work, kept); err != nil {
			return abs
		}
		st.kept = kept
	}
	return filepath.Join(st.kept, rel)
}

// keptRoot is a folder of this run's own for the copies "try it" lines
// name; "" if none can be made. The copies of runs more than a day old
// go first: a student who grades a hundred times would otherwise keep a
// hundred of them (a script's site can be megabytes), and a day-old "try
// it" is stale anyway.
var keptRoot = sync.OnceValue(func() string {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), "workbook-try-*"))
	for _, d := range old {
		if info, err := os.Stat(d); err == nil && time.Since(info.ModTime()) > 24*time.Hour {
			os.RemoveAll(d)
		}
	}
	dir, err := os.MkdirTemp("", "workbook-try-")
	if err != nil {
		return ""
	}
	return dir
})

// lineWith is the first line of text that contains sub.
func lineWith(text, sub string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			return strings.TrimSuffix(l, "\r")
		}
	}
	return ""
}

// absDirs makes the value of -dir absolute, from the script's folder.
func absDirs(ts *testscript.TestScript, args []string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if v, ok := strings.CutPrefix(a, "-dir="); ok {
			out[i] = "-dir=" + ts.MkAbs(v)
		} else if a == "-dir" && i+1 < len(out) {
			out[i+1] = ts.MkAbs(out[i+1])
		}
	}
	return out
}

func quoteAll(args []string) []string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return q
}

// refuseToServe is ! serve: the process must exit non-zero within 10 s
// without ever printing the ready line. Its output goes to stdout/stderr
// for the builtin assertions, its status to exitcode.
func refuseToServe(ts *testscript.TestScript, st *scriptState, srv *server) {
	served := false
	srv.console.waitFor(10*time.Second, srv.exited, func(_, stdout string) bool {
		_, _, served = ready(stdout)
		return served || !srv.running()
	})
	tr := st.transcript(ts, "the server", "refuse to start with "+strings.Join(quoteAll(srv.args), " "))
	tr.tryIt = st.tryServer(ts, "8000")
	switch {
	case served:
		tr.lines = []string{"expected an error and a non-zero exit status, but it started serving"}
		tr.hints = []string{"check the arguments before listening, and end with one line on stderr and os.Exit(2)."}
	case srv.running():
		srv.kill()
		tr.lines = []string{"expected it to exit with an error; it was still running after 10s"}
	case srv.exitCode() == 0:
		tr.lines = []string{"expected a non-zero exit status, got exit status 0"}
		tr.hints = []string{"a bad argument ends the program with os.Exit(2) after one line on stderr."}
	default:
		writeConsole(ts, srv)
		return
	}
	tr.console = srv.consoleTail(15)
	st.fatal(ts, tr)
}

// writeConsole hands an exited server's output to the builtin stdout and
// stderr assertions.
func writeConsole(ts *testscript.TestScript, srv *server) {
	_, stdout, stderr := srv.console.text()
	io.WriteString(ts.Stdout(), stdout)
	io.WriteString(ts.Stderr(), stderr)
}

// stop-server: Ctrl-C; the server must exit with status 0 within 5 s.
func cmdStopServer(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "stop-server")
	if len(args) > 0 {
		ts.Fatalf("usage: stop-server")
	}
	st := state(ts)
	srv := st.srv
	if srv == nil {
		ts.Fatalf("stop-server: no server; use serve first")
	}
	tr := st.transcript(ts, "Ctrl-C", "stop the server with exit status 0")
	tr.tryIt = st.tryServer(ts, "8000") + "   # then press Ctrl-C, and: echo $?"
	switch {
	case !srv.running():
		tr.lines = []string{fmt.Sprintf("the server had already exited (%s) before Ctrl-C", srv.status())}
		tr.hints = []string{"did it crash? Its console is below."}
	case runtime.GOOS == "windows":
		// There is no SIGINT to send on Windows: kill it, and don't judge.
		srv.kill()
		writeConsole(ts, srv)
		return
	default:
		srv.cmd.Process.Signal(os.Interrupt)
		if !srv.waitExit(5 * time.Second) {
			srv.kill()
			tr.lines = []string{"the server did not exit within 5 s of Ctrl-C"}
			tr.hints = []string{"does main catch SIGINT with signal.Notify, and then exit with status 0?"}
			break
		}
		switch code := srv.exitCode(); {
		case code == 0:
			writeConsole(ts, srv)
			return
		case code < 0:
			tr.lines = []string{fmt.Sprintf("expected exit status 0, but the signal ended it (%s)", srv.status())}
			tr.hints = []string{`catch os.Interrupt and syscall.SIGTERM with signal.Notify, and exit with status 0. Call signal.Notify before printing the "Serving ..." line: a Ctrl-C that comes right after that line must be caught too.`}
		default:
			tr.lines = []string{fmt.Sprintf("expected exit status 0, got %s", srv.status())}
			tr.hints = []string{"when the listener is closed on purpose, Accept fails with net.ErrClosed: stop quietly (errors.Is(err, net.ErrClosed)), don't log.Fatal."}
		}
	}
	tr.console = srv.consoleTail(15)
	st.fatal(ts, tr)
}

// exitcode N: the last server has exited with status N.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "exitcode")
	if len(args) != 1 {
		ts.Fatalf("usage: exitcode N")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("usage: exitcode N (%v)", err)
	}
	st := state(ts)
	switch {
	case st.srv == nil:
		ts.Fatalf("exitcode: no server has run; use serve first")
	case st.srv.running():
		ts.Fatalf("exitcode: the server is still running; use stop-server or ! serve first")
	}
	if got := st.srv.exitCode(); got != want {
		tr := st.transcript(ts, "the server", fmt.Sprintf("exit with status %d", want))
		tr.lines = []string{fmt.Sprintf("expected exit status %d, got %s", want, st.srv.status())}
		if want == 2 {
			tr.hints = []string{"a bad argument (an unknown flag, a missing -dir) ends the program with one line on stderr and os.Exit(2)."}
		}
		tr.console = st.srv.consoleTail(15)
		st.fatal(ts, tr)
	}
}

// console [-count N] REGEXP: the server's console matches (N times).
func cmdConsole(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	count := fs.Int("count", -1, "")
	args = flags(ts, fs, "console [-count N] REGEXP", args, 1, 1)
	re, err := regexp.Compile("(?m)" + args[0])
	if err != nil {
		ts.Fatalf("console: %v", err)
	}
	st := state(ts)
	srv := st.srv
	if srv == nil {
		ts.Fatalf("console: no server; use serve first")
	}
	var n int
	match := func(all, _ string) bool {
		n = len(re.FindAllStringIndex(all, -1))
		if *count >= 0 {
			return n == *count
		}
		return n > 0
	}
	// A server may log a request just after closing its connection:
	// allow it some time to do so, or (for !) to do so wrongly.
	var should, got string
	if neg {
		if !srv.console.waitFor(200*time.Millisecond, srv.exited, match) {
			return
		}
		should = fmt.Sprintf("not print anything matching `%s`", args[0])
		got = fmt.Sprintf("found %d matching line%s", n, cond(n == 1, "", "s"))
	} else {
		if srv.console.waitFor(2*time.Second, srv.exited, match) {
			return
		}
		should = fmt.Sprintf("print a line matching `%s`", args[0])
		if *count >= 0 {
			should = fmt.Sprintf("print %d lines matching `%s`", *count, args[0])
		}
		got = fmt.Sprintf("found %d matching line%s in 2s", n, cond(n == 1, "", "s"))
	}
	tr := st.transcript(ts, "the server console", should)
	tr.lines = []string{got}
	tr.hints = []string{"the console is everything the server printed, stdout and stderr: compare the lines below with the pattern."}
	tr.console = srv.consoleTail(20)
	st.fatal(ts, tr)
}

// haveIPv6 reports whether this machine can listen on ::1 (for [ipv6]).
var haveIPv6 = sync.OnceValue(func() bool {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err == nil {
		ln.Close()
	}
	return err == nil
})

// hold [PIECE...]: a connection that writes the pieces, then stays open,
// unread, until the script ends: a client taking its time.
func cmdHold(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "hold")
	conn, err := net.DialTimeout("tcp", hostport(ts, "hold"), 5*time.Second)
	if err != nil {
		ts.Fatalf("hold: cannot connect: %v", err)
	}
	ts.Defer(func() { conn.Close() })
	for _, a := range args {
		b, err := unescape(a)
		if err != nil {
			ts.Fatalf("hold: %v", err)
		}
		conn.Write(b)
	}
}

// send [-keep] [-pause DUR] [-timeout DUR] PIECE...: raw bytes over a new
// connection, one write per piece; the response goes to stdout.
func cmdSend(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "send")
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	var opt sendOptions
	fs.BoolVar(&opt.keep, "keep", false, "")
	fs.IntVar(&opt.lines, "lines", 0, "")
	fs.DurationVar(&opt.pause, "pause", 50*time.Millisecond, "")
	fs.DurationVar(&opt.timeout, "timeout", 5*time.Second, "")
	args = flags(ts, fs, "send [-keep | -lines N] [-pause DUR] [-timeout DUR] PIECE [PIECE...]", args, 1, 1<<20)
	pieces := make([][]byte, len(args))
	for i, a := range args {
		b, err := unescape(a)
		if err != nil {
			ts.Fatalf("send: %v", err)
		}
		pieces[i] = b
	}
	st := state(ts)
	ex := send(hostport(ts, "send"), pieces, opt)
	st.last = ex
	if ex.end == endNoConnection {
		st.failExchange(ts, ex, fail("get an answer", "expected to connect, but could not"))
	}
	writeStdout(ts, ex.response)
}

// stdoutMax caps what send and client copy to stdout: testscript logs
// stdout, and a failing script must not dump a multi-megabyte file.
const stdoutMax = 16 << 10

func writeStdout(ts *testscript.TestScript, b []byte) {
	if head, body, ok := bytes.Cut(b, []byte("\r\n\r\n")); ok && isBinary(body) {
		// An image would fill a -v log with noise: show its size only.
		ts.Stdout().Write(head)
		fmt.Fprintf(ts.Stdout(), "\r\n\r\n[grader: %d bytes of binary body, not shown; check them with expect body-file]\n", len(body))
		return
	}
	if isBinary(b) {
		fmt.Fprintf(ts.Stdout(), "[grader: %d bytes of binary data, not shown]\n", len(b))
		return
	}
	b = escapeControls(b)
	if len(b) <= stdoutMax {
		ts.Stdout().Write(b)
		return
	}
	ts.Stdout().Write(b[:stdoutMax])
	fmt.Fprintf(ts.Stdout(), "\n[grader: %d more bytes cut here; check a big body with expect body-file]\n", len(b)-stdoutMax)
}

// client [-method M] [-data TEXT] [-header 'K: V']... PATH: a request with
// Go's HTTP client; the body goes to stdout, like curl.
func cmdClient(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "client")
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	req := clientRequest{}
	fs.StringVar(&req.method, "method", "GET", "")
	fs.Func("data", "", func(s string) (err error) {
		req.data, err = unescape(s)
		return err
	})
	fs.Func("header", "", func(s string) error {
		if !strings.Contains(s, ":") {
			return fmt.Errorf("header %q has no colon", s)
		}
		req.headers = append(req.headers, s)
		return nil
	})
	args = flags(ts, fs, "client [-method M] [-data TEXT] [-header 'K: V']... PATH", args, 1, 1)
	req.path = args[0]
	if !strings.HasPrefix(req.path, "/") {
		ts.Fatalf("client: the path %q must start with /", req.path)
	}
	st := state(ts)
	ex := doClient(hostport(ts, "client"), req)
	st.last = ex
	if ex.err != nil {
		f := fail("get a valid HTTP response", "Go's HTTP client failed: "+ex.err.Error())
		if strings.Contains(ex.err.Error(), "malformed") {
			f.hint("the bytes above are not a valid HTTP/1.1 response, so a browser would fail too: check the status line, and that every line ends in \"\\r\\n\".")
		}
		st.failExchange(ts, ex, f)
	}
	writeStdout(ts, ex.body)
}

// expect WHAT ARGS...: check the last exchange.
func cmdExpect(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "expect (use no-header or body-lacks)")
	var names []string
	for name, c := range checks {
		names = append(names, strings.TrimSpace(name+" "+c.usage))
	}
	slices.Sort(names)
	// expect -response K WHAT ARGS: the check on the Kth response of the
	// last send (several requests on one connection).
	nth := 0
	if len(args) >= 2 && args[0] == "-response" {
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 {
			ts.Fatalf("expect -response K: K is 1 for the first response, not %q", args[1])
		}
		nth, args = n, args[2:]
	}
	if len(args) == 0 {
		ts.Fatalf("usage: expect [-response K] WHAT ARGS..., one of:\n\t%s", strings.Join(names, "\n\t"))
	}
	c, ok := checks[args[0]]
	switch {
	case !ok:
		ts.Fatalf("expect: unknown check %q; the checks are:\n\t%s", args[0], strings.Join(names, "\n\t"))
	case len(args)-1 != c.nargs:
		ts.Fatalf("usage: expect %s %s", args[0], c.usage)
	}
	st := state(ts)
	if st.last == nil {
		ts.Fatalf("expect: nothing sent yet; use send or client first")
	}
	env := &checkEnv{now: time.Now(), stage: stageNumber(st.suite.stage), readFile: func(name string) ([]byte, error) { return os.ReadFile(ts.MkAbs(name)) }}
	ex := st.last
	if nth > 0 {
		if ex.via != "send" {
			ts.Fatalf("expect -response: only after send")
		}
		parts := ex.responses()
		if nth > len(parts) {
			st.failExchange(ts, ex, fail(fmt.Sprintf("answer with at least %d responses", nth),
				fmt.Sprintf("expected a response number %d, got %d in all", nth, len(parts))))
		}
		ex = parts[nth-1]
	}
	f, err := c.run(env, ex, args[1:])
	if err != nil {
		ts.Fatalf("expect %s: %v", args[0], err)
	}
	if f != nil {
		if nth > 0 {
			f.should = fmt.Sprintf("%s (response %d of this connection)", f.should, nth)
			f.lines = append(f.lines, fmt.Sprintf("response %d: %s", nth, quoteTrunc(ex.response)))
		}
		st.failExchange(ts, st.last, f)
	}
}

// random [-decimal] NAME [LEN]: set NAME to LEN random lowercase hex
// digits, or with -decimal to a number of LEN decimal digits.
func cmdRandom(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "random")
	fs := flag.NewFlagSet("random", flag.ContinueOnError)
	decimal := fs.Bool("decimal", false, "")
	args = flags(ts, fs, "random [-decimal] NAME [LEN]", args, 1, 2)
	n := 8
	if len(args) == 2 {
		var err error
		if n, err = strconv.Atoi(args[1]); err != nil || n < 1 || n > 1<<20 {
			ts.Fatalf("random: LEN must be 1 to 1048576, not %q", args[1])
		}
	}
	st := state(ts)
	digits := "0123456789abcdef"
	if *decimal {
		digits = "0123456789"
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[st.rng.IntN(len(digits))]
	}
	if *decimal && b[0] == '0' {
		b[0] = '1' + byte(st.rng.IntN(9)) // a number as written: no leading zero
	}
	ts.Setenv(args[0], string(b))
}

// keep-header NAME VAR [REGEXP]: set VAR to the value of the last
// response's NAME header, or to REGEXP's first group in it, to send it
// back in a later request (an ETag in If-None-Match) or expect it in a
// body (a multipart boundary).
func cmdKeepHeader(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "keep-header")
	if len(args) != 2 && len(args) != 3 {
		ts.Fatalf("usage: keep-header NAME VAR [REGEXP]")
	}
	var rx *regexp.Regexp
	if len(args) == 3 {
		var err error
		if rx, err = regexp.Compile(args[2]); err != nil || rx.NumSubexp() < 1 {
			ts.Fatalf("keep-header: REGEXP must compile and have a group, (...), for the part to keep: %q %v", args[2], err)
		}
	}
	st := state(ts)
	if st.last == nil {
		ts.Fatalf("keep-header: nothing sent yet; use send or client first")
	}
	should := fmt.Sprintf("send the header %s (kept for the next request)", args[0])
	vs := st.last.resp().values(args[0])
	if len(vs) == 0 {
		st.failExchange(ts, st.last, missingHeader(should, st.last, args[0]))
	}
	value := vs[0]
	if rx != nil {
		m := rx.FindStringSubmatch(value)
		if m == nil {
			st.failExchange(ts, st.last, fail(should, fmt.Sprintf("expected %s to match %q, got %q", args[0], args[2], value)))
		}
		value = m[1]
	}
	ts.Setenv(args[1], value)
}

// hint TEXT: from here on, a failure of this script also says TEXT.
func cmdHint(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "hint")
	st := state(ts)
	switch {
	case len(args) == 0:
		st.hints = nil // the checks that follow are about something else
	case len(args) == 1:
		st.hints = append(st.hints, args[0])
	default:
		ts.Fatalf("usage: hint [TEXT] (one argument: quote it; none ends the hints so far)")
	}
}

// mkfile [-size N[KiB|MiB]] [-age DUR] PATH [CONTENT]: write a file,
// parents too; with -age, dated DUR ago.
func cmdMkfile(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "mkfile")
	fs := flag.NewFlagSet("mkfile", flag.ContinueOnError)
	size := fs.String("size", "", "")
	age := fs.Duration("age", 0, "")
	const usage = "mkfile [-size N[KiB|MiB]] [-age DUR] PATH [CONTENT]"
	args = flags(ts, fs, usage, args, 1, 2)
	var data []byte
	switch {
	case *size != "" && len(args) == 2:
		ts.Fatalf("usage: %s (-size or CONTENT, not both)", usage)
	case *size != "":
		n, err := parseSize(*size)
		if err != nil {
			ts.Fatalf("mkfile: %v", err)
		}
		data = randomBytes(state(ts).rng, n)
	case len(args) == 2:
		var err error
		if data, err = unescape(args[1]); err != nil {
			ts.Fatalf("mkfile: %v", err)
		}
	}
	path := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(filepath.Dir(path), 0o777))
	ts.Check(os.WriteFile(path, data, 0o666))
	if *age != 0 {
		then := time.Now().Add(-*age)
		ts.Check(os.Chtimes(path, then, then))
	}
}

// parseSize reads "1234", "64KiB" or "3MiB".
func parseSize(s string) (int, error) {
	mult := 1
	num := s
	for suffix, m := range map[string]int{"KiB": 1 << 10, "MiB": 1 << 20} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			num, mult = n, m
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 1<<30/mult {
		return 0, fmt.Errorf("bad size %q (want N, NKiB or NMiB, at most 1GiB)", s)
	}
	return n * mult, nil
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, (n+7)/8*8)
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
	}
	return b[:n]
}
