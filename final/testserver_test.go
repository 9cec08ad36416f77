//go:build unix

package main

// The shared setup of the load, fault and hostile suites (load_test.go,
// faults_test.go, hostile_test.go): a server started inside the test
// process, as main starts it, on a site made for the tests, and the
// measures that tell whether it leaked anything. Unix only: the site has
// CGI shell scripts and symlinks, and the measures use setrlimit(2) and,
// on Linux, /proc.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testServerOptions are what a suite may change; a zero field keeps the
// default, short enough that a test never waits long for a timeout.
type testServerOptions struct {
	// mode names how the server serves its connections: a key of
	// serveModes (server.go). "" is "goroutines", a goroutine per
	// connection.
	mode        string
	idleTimeout time.Duration // default 1s
	headTimeout time.Duration // default 2s
	bodyTimeout time.Duration // default 2s
	cgiTimeout  time.Duration // default 2s
	cgiMax      int           // default cgiMaxDefault
	dotfiles    bool          // -dotfiles
	sendTimeout time.Duration // default 5s
	// sendBuffer, when not 0, is every connection's SO_SNDBUF (set on the
	// listener, whose connections inherit it): the kernel's own grows to
	// megabytes, and takes a whole big file before a write ever waits.
	sendBuffer int
}

// testServer is a running server and the site it serves.
type testServer struct {
	*server
	ln     net.Listener
	addr   string // "127.0.0.1:port"
	root   string // the document root
	secret string // the content of secret.txt, beside the root, never to be sent
	big    []byte // the content of big.bin
	site   *docRoot
	served chan struct{} // closed when the serving mode has returned, after shutdown
}

// The test site. secret.txt lies beside the document root, not in it;
// symlinks inside the root lead to it, and to the folder that holds it.
const (
	smallText  = "a small file\n"
	helloCGI   = "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nhello from cgi, query=%s\\n' \"$QUERY_STRING\"\n"
	bigSize    = 3 << 20
	hangMarker = "98765" // a sleep of this many seconds is a CGI script's child, killed on time
)

var testSiteFiles = map[string]string{
	"index.html":           "<!DOCTYPE html><title>test site</title>\n",
	"small.txt":            smallText,
	"empty.txt":            "",
	"notes/a.txt":          "note a\n",
	"notes/b.md":           "# note b\n",
	"notes/with space.txt": "spaced\n",
	"notes/deep/c.txt":     "deep c\n",
	"cgi-bin/hello.sh":     helloCGI,
	"cgi-bin/env.sh":       "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nenv\n",
	// flood.sh prints without end, as fast as it can: it is streamed
	// and cut off at the CGI timeout, never held in memory whole.
	"cgi-bin/flood.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nexec yes 'flood flood flood flood flood flood flood flood'\n",
	// hang.sh starts a child and waits for it: the timeout must kill both.
	"cgi-bin/hang.sh": "#!/bin/sh\nsleep " + hangMarker + "\necho never\n",
	// silent.sh exits at once and prints nothing, not even a header.
	"cgi-bin/silent.sh": "#!/bin/sh\nexit 0\n",
	// fail.sh exits with an error, and nothing printed.
	"cgi-bin/fail.sh":       "#!/bin/sh\necho 'fail.sh: something broke' >&2\nexit 3\n",
	"cgi-bin/tools/tool.sh": helloCGI,
	// Hidden files: never listed, never sent (but with -dotfiles).
	".env":                     "SECRET_ENV=dotenv\n",
	".git/config":              "[core]\n",
	"notes/.hidden.txt":        "hidden\n",
	".well-known/security.txt": "Contact: mailto:security@example.com\n",
}

// startTestServer makes a site in a temporary folder and serves it on
// 127.0.0.1, port chosen by the kernel, until the test ends.
func startTestServer(t testing.TB, opts testServerOptions) *testServer {
	t.Helper()
	dir := t.TempDir()
	ts := &testServer{secret: "SECRET-" + rand.Text()}
	writeFile(t, filepath.Join(dir, "secret.txt"), ts.secret+"\n")
	root := filepath.Join(dir, "root")
	for name, content := range testSiteFiles {
		writeFile(t, filepath.Join(root, name), content)
	}
	// big.bin: pseudo-random bytes from a fixed seed, so a mix-up of two
	// parts of it can't compare equal by chance.
	ts.big = make([]byte, bigSize)
	rnd := mathrand.NewChaCha8([32]byte{1})
	rnd.Read(ts.big)
	writeFile(t, filepath.Join(root, "big.bin"), string(ts.big))
	for link, to := range map[string]string{
		"link-to-secret.txt": "../secret.txt",                  // a file outside the root
		"up":                 "..",                             // the folder above the root
		"abs-secret.txt":     filepath.Join(dir, "secret.txt"), // an absolute path
		"notes/deep/up2":     filepath.Join("..", "..", ".."),  // three levels up: beside the root
		// Names for cgi-bin and its files other than their own.
		"scripts":         "cgi-bin",           // the folder
		"env-link.sh":     "cgi-bin/env.sh",    // a script
		"tools":           "cgi-bin/tools",     // a folder inside it
		"chain":           "scripts",           // a link to a link to it
		"via-notes":       "notes/../cgi-bin",  // with ".." on the way
		"page/index.html": "../cgi-bin/env.sh", // a folder served by a script
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(root, link)), 0o755)
		if err := os.Symlink(to, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}

	defaultTo := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defaultTo(&opts.idleTimeout, time.Second)
	defaultTo(&opts.headTimeout, 2*time.Second)
	defaultTo(&opts.bodyTimeout, 2*time.Second)
	defaultTo(&opts.cgiTimeout, 2*time.Second)
	defaultTo(&opts.sendTimeout, 5*time.Second)
	if opts.mode == "" {
		opts.mode = "goroutines"
	}
	serve, ok := serveModes[opts.mode]
	if !ok {
		t.Fatalf("no serving mode %q", opts.mode)
	}

	// As main does it.
	var err error
	ts.server, ts.site, err = newServer(config{dir: root, cgi: true, cgiTimeout: opts.cgiTimeout, cgiMax: opts.cgiMax,
		dotfiles: opts.dotfiles, idleTimeout: opts.idleTimeout, headTimeout: opts.headTimeout, bodyTimeout: opts.bodyTimeout,
		sendTimeout: opts.sendTimeout})
	if err != nil {
		t.Fatal(err)
	}
	if ts.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ts.addr, ts.root = ts.ln.Addr().String(), root
	if opts.sendBuffer > 0 {
		rc, err := ts.ln.(*net.TCPListener).SyscallConn()
		if err == nil {
			rc.Control(func(fd uintptr) {
				err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, opts.sendBuffer)
			})
		}
		if err != nil {
			t.Fatal(err)
		}
	}

	// The access log goes to os.Stdout: thousands of lines that would bury
	// a failure's message. Send it nowhere while the server runs. (The
	// testing package took its own copy of os.Stdout before any test.)
	stdout := os.Stdout
	os.Stdout, _ = os.Open(os.DevNull)
	ts.served = make(chan struct{})
	go func() {
		serve(ts.server, ts.ln)
		close(ts.served)
	}()
	t.Cleanup(func() {
		ts.shutdown(ts.ln)
		select {
		case <-ts.served:
		case <-time.After(10 * time.Second):
			t.Error("the server did not stop within 10s of shutdown")
		}
		// A connection logs its last request before it leaves s.conns:
		// wait until every one has, before os.Stdout changes again.
		ts.idle(t)
		os.Stdout.Close()
		os.Stdout = stdout
		ts.site.root.Close()
	})
	// A first answer says the server is set up (the event loop makes its
	// poller and its wake-up pipe as it starts): what a test measures
	// from now on, it holds for good.
	ts.checkAlive(t)
	return ts
}

func writeFile(t testing.TB, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, or fails the test after timeout:
// things that happen "soon" (a goroutine ending, a process reaped) are
// waited for, never assumed after a fixed sleep.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) bool {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("waited %v for %s", timeout, what)
			return false
		}
	}
	return true
}

// tcpPair makes a connection over loopback and returns both of its
// ends, closed when the test ends: a real socket for a test that plays
// the server's part itself.
func tcpPair(t testing.TB) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if client, err = net.Dial("tcp", ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if server, err = ln.Accept(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return client, server
}

// dial opens a connection to the server.
func (ts *testServer) dial(t testing.TB) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", ts.addr, err)
	}
	return conn
}

// dialOpen dials the server, and leaves the connection open until the
// test ends.
func (ts *testServer) dialOpen(t testing.TB) net.Conn {
	t.Helper()
	conn := ts.dial(t)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// clientResponse is what came back for one request, as a client read it.
type clientResponse struct {
	status int
	header http.Header
	close  bool // "Connection: close" (which net/http takes out of header)
	body   []byte
}

// readResponse reads one response from br: net/http's reader does the
// framing (Content-Length, chunked, or up to the close), and refuses a
// malformed head. method is the request's: a HEAD response has no body.
func readResponse(br *bufio.Reader, method string) (*clientResponse, error) {
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%d response, body cut: %w", resp.StatusCode, err)
	}
	if resp.Proto != "HTTP/1.1" {
		return nil, fmt.Errorf("status line says %q, want HTTP/1.1", resp.Proto)
	}
	return &clientResponse{resp.StatusCode, resp.Header, resp.Close, body}, nil
}

// get asks for target on a new connection, as a normal client would, and
// returns the response.
func (ts *testServer) get(t testing.TB, target string) *clientResponse {
	t.Helper()
	conn := ts.dial(t)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", target)
	resp, err := readResponse(bufio.NewReader(conn), "GET")
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	return resp
}

// idle waits until the server holds no connection, then measures: the
// baseline that a suite compares with once its clients are gone.
func (ts *testServer) idle(t testing.TB) resources {
	t.Helper()
	waitFor(t, 5*time.Second, "the server to close every connection", func() bool {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		return len(ts.conns) == 0
	})
	return measure()
}

// checkAlive fails the test unless a normal request still gets its 200
// and the exact file.
func (ts *testServer) checkAlive(t testing.TB) {
	t.Helper()
	if resp := ts.get(t, "/small.txt"); resp.status != 200 || string(resp.body) != smallText {
		t.Fatalf("after that, GET /small.txt answered %d %q, want 200 %q", resp.status, resp.body, smallText)
	}
}

// resources is what a leak would make grow: goroutines, open file
// descriptors (-1 where /proc/self/fd does not exist), and processes
// whose parent is this one (zombies included: an unreaped child is a
// leak too).
type resources struct {
	goroutines, fds, children int
}

func (r resources) String() string {
	return fmt.Sprintf("%d goroutines, %d fds, %d child processes", r.goroutines, r.fds, r.children)
}

func measure() resources {
	r := resources{goroutines: runtime.NumGoroutine(), fds: -1}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		r.fds = len(fds) - 1 // less the one ReadDir opened to read it
	}
	r.children = len(childProcesses())
	return r
}

// openDescriptors lists this process's descriptors and what each is
// ("7 -> socket:[123456]"), for the message of a leak.
func openDescriptors() string {
	fds, _ := os.ReadDir("/proc/self/fd")
	var list []string
	for _, fd := range fds {
		to, _ := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		list = append(list, fd.Name()+" -> "+to)
	}
	return strings.Join(list, ", ")
}

// childProcesses lists this process's children, from /proc/*/stat, as
// "pid state command". The stat line is "pid (comm) state ppid ...", and
// comm may hold spaces and parentheses: read from the last ")".
func childProcesses() []string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var children []string
	for _, name := range stats {
		stat, err := os.ReadFile(name)
		i := bytes.LastIndexByte(stat, ')')
		if err != nil || i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(os.Getpid()) {
			children = append(children, fmt.Sprintf("%s %s %s", filepath.Base(filepath.Dir(name)), fields[0], stat[:i+1]))
		}
	}
	return children
}

// liveProcessesWith lists the processes still running (not zombies) whose
// command line holds marker: the grandchildren a CGI script started
// belong to whoever adopted them, but they must be dead.
func liveProcessesWith(marker string) []string {
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var live []string
	for _, name := range cmdlines {
		// A zombie's command line reads as empty.
		cmdline, _ := os.ReadFile(name)
		if bytes.Contains(cmdline, []byte(marker)) && !strings.Contains(name, "/"+strconv.Itoa(os.Getpid())+"/") {
			live = append(live, fmt.Sprintf("%s: %q", name, cmdline))
		}
	}
	return live
}

// checkNoLeaks waits until the goroutines, descriptors and children are
// back to what before counted, and fails with a goroutine dump if they
// don't come back within 10s. The server's idle timeout is short, so
// connections a client left open go soon too.
func checkNoLeaks(t testing.TB, before resources) resources {
	t.Helper()
	var now resources
	back := func() bool {
		now = measure()
		return now.goroutines <= before.goroutines && now.fds <= before.fds && now.children == 0
	}
	for deadline := time.Now().Add(10 * time.Second); !back(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("leak: before %v, 10s after %v\nchildren: %q\nopen descriptors: %s\n%s",
				before, now, childProcesses(), openDescriptors(), buf[:runtime.Stack(buf, true)])
		}
	}
	return now
}

// raiseFileLimit raises the soft limit on open descriptors to the hard
// limit, for a test that holds many connections open (each is two
// descriptors here: the client's end and the server's).
func raiseFileLimit(t testing.TB, need uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip("no RLIMIT_NOFILE here:", err)
	}
	if lim.Cur < need && lim.Max >= need {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if lim.Cur < need {
		t.Skipf("needs %d open files, the limit is %d", need, lim.Cur)
	}
}
