package testscripts

// Fake servers for the self-test: a good one and deliberately broken ones.
// They run in-process (the self-test's `fake MODE` command) or, to exercise
// serve/stop-server/console, as this very test binary started as a stage
// (fakeStageMain).

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// fakeStageEnv, when set, makes the test binary a fake stage binary.
const fakeStageEnv = "GRADER_FAKE_STAGE"

// fakeModes are the behaviours of the fakes, for `fake MODE` and
// `serve -mode MODE`.
var fakeModes = map[string]string{
	"good":        "a correct stage 4 server: 200 for /, 404 otherwise",
	"always200":   "answers every request with a minimal 200 (no Date, no Content-Type)",
	"lf":          "a good response with bare LF line ends",
	"nolength":    "no Content-Length",
	"longlength":  "Content-Length 5 larger than the body",
	"spacecolon":  `"Content-Type : ..." with a space before the colon`,
	"badstatus":   "a status code with a letter in it",
	"silentclose": "closes the connection without answering",
	"hang":        "never answers, never closes",
	"noclose":     "answers, then keeps the connection open",
	"oneread":     "takes one Read for the whole request; 400 if the head is incomplete",
	"crash":       "panics on the first request (serve only)",
	"nosigint":    "does not catch SIGINT (serve only)",
	"exit1":       "exits with status 1 on SIGINT (serve only)",
	"badready":    "prints a ready line of its own wording (serve only)",
	"otherready":  "prints a first line that is no ready line at all, and listens (serve only)",
	"raw":         "answers with the bytes of the file named in the request's X-Raw header (an absolute path), as they are",
}

type fakeServer struct {
	ln   net.Listener
	mode string
	log  io.Writer // the access log

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
}

func startFake(mode string, log io.Writer) (*fakeServer, error) {
	if desc, ok := fakeModes[mode]; !ok || strings.HasSuffix(desc, "(serve only)") {
		return nil, fmt.Errorf("no in-process fake mode %q", mode)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return newFake(ln, mode, log), nil
}

func newFake(ln net.Listener, mode string, log io.Writer) *fakeServer {
	f := &fakeServer{ln: ln, mode: mode, log: log, conns: map[net.Conn]bool{}}
	f.wg.Add(1)
	go f.serve()
	return f
}

func (f *fakeServer) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func (f *fakeServer) serve() {
	defer f.wg.Done()
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns[conn] = true
		f.mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.handle(conn)
			f.mu.Lock()
			delete(f.conns, conn)
			f.mu.Unlock()
			conn.Close()
		}()
	}
}

// close stops the fake and waits for its goroutines.
func (f *fakeServer) close() {
	f.ln.Close()
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *fakeServer) handle(conn net.Conn) {
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	head, ok := readFakeHead(conn, f.mode == "oneread")
	line, _, _ := strings.Cut(string(head), "\r\n")
	if f.mode == "raw" {
		// A self-test writes the response it needs with mkfile, and names
		// it in the request: "X-Raw: $WORK/resp".
		for _, h := range strings.Split(string(head), "\r\n") {
			if name, ok := strings.CutPrefix(h, "X-Raw: "); ok {
				if b, err := os.ReadFile(name); err == nil {
					conn.Write(b)
				}
			}
		}
		return
	}
	method, rest, _ := strings.Cut(line, " ")
	path, _, _ := strings.Cut(rest, " ")

	status, body := "200 OK", "hello\n"
	if path != "/" {
		status, body = "404 Not Found", "<h1>404 Not Found</h1>"
	}
	if !ok {
		status, body = "400 Bad Request", "<h1>400 Bad Request</h1>"
	}
	if method == "HEAD" {
		body = ""
	}
	resp := fakeResponse(status, body)
	switch f.mode {
	case "always200":
		resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
	case "lf":
		resp = strings.ReplaceAll(resp, "\r\n", "\n")
	case "nolength":
		resp = strings.Replace(resp, fmt.Sprintf("Content-Length: %d\r\n", len(body)), "", 1)
	case "longlength":
		resp = strings.Replace(resp, fmt.Sprintf("Content-Length: %d", len(body)), fmt.Sprintf("Content-Length: %d", len(body)+5), 1)
	case "spacecolon":
		resp = strings.Replace(resp, "Content-Type:", "Content-Type :", 1)
	case "badstatus":
		resp = strings.Replace(resp, "HTTP/1.1 200", "HTTP/1.1 2O0", 1)
	case "silentclose":
		return
	case "hang":
		io.Copy(io.Discard, conn) // until the client gives up
		return
	case "crash":
		panic("fake crash: runtime error: index out of range [3] with length 3")
	}
	io.WriteString(conn, resp)
	fmt.Fprintf(f.log, "127.0.0.1 - - [%s] %q %s -\n", time.Now().Format("02/Jan/2006 15:04:05"), line, status[:3])
	if f.mode == "noclose" {
		io.Copy(io.Discard, conn)
	}
}

// readFakeHead reads up to the blank line, however the bytes arrive; with
// oneRead it makes the beginner's mistake of a single Read.
func readFakeHead(conn net.Conn, oneRead bool) ([]byte, bool) {
	var head []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(head, []byte("\r\n\r\n")) {
		n, err := conn.Read(buf)
		head = append(head, buf[:n]...)
		if err != nil || oneRead {
			break
		}
	}
	return head, bytes.Contains(head, []byte("\r\n\r\n"))
}

func fakeResponse(status, body string) string {
	return "HTTP/1.1 " + status + "\r\n" +
		"Date: " + time.Now().UTC().Format(imfFixdate) + "\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n" +
		"Connection: close\r\n" +
		"\r\n" + body
}

// fakeStageMain is a stage binary made of a fake:
// BIN [-bind ADDR] [-dir DIR] [-mode MODE] [PORT].
func fakeStageMain() int {
	fs := flag.NewFlagSet("fake", flag.ContinueOnError)
	bind := fs.String("bind", "127.0.0.1", "")
	dir := fs.String("dir", "", "")
	mode := fs.String("mode", "good", "")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if _, ok := fakeModes[*mode]; !ok {
		fmt.Fprintf(os.Stderr, "fake: unknown -mode %q\n", *mode)
		return 2
	}
	if *dir != "" {
		if _, err := os.Stat(*dir); err != nil {
			fmt.Fprintf(os.Stderr, "fake: -dir %s: no such directory\n", *dir)
			return 2
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(*bind, fs.Arg(0)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake:", err)
		return 2
	}
	sigs := make(chan os.Signal, 1)
	if *mode != "nosigint" {
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	}
	f := newFake(ln, *mode, os.Stdout)
	switch *mode {
	case "badready":
		fmt.Printf("Serving HTTP on %s:%d\n", *bind, f.port())
	case "otherready":
		fmt.Printf("Listening on %s:%d\n", *bind, f.port())
	default:
		fmt.Printf("Serving HTTP on %s port %d (http://%s:%d/) ...\n", *bind, f.port(), *bind, f.port())
	}
	<-sigs
	f.close()
	if *mode == "exit1" {
		return 1
	}
	return 0
}
