// A server that answers a request with the file it names, from a folder
// (the document root) that no request can climb out of.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fatih/color"
)

const (
	// maxLine is the longest line we accept, and the size of our read
	// buffer: a request line or header longer than this is an attack or a
	// bug, and without a limit it would grow in memory for ever.
	maxLine = 8 << 10
	// maxHead bounds the whole head: request line plus every header.
	maxHead = 32 << 10
	// timeout bounds a whole connection. This server serves one client at a
	// time, so a client that connects and says nothing (browsers open spare
	// connections "just in case") would otherwise block everybody else.
	timeout = 10 * time.Second
)

var errTooLarge = errors.New("request head too large")

// timeFormat is IMF-fixdate, the one date format HTTP senders use
// (RFC 9110 §5.6.7). Go's layouts are written as this moment in time:
// Mon Jan 2 15:04:05 2006. The zone is always GMT, so call UTC() first.
const timeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// statusText is the reason phrase that follows each status code. Clients
// go by the number; the words are for people (RFC 9112 §4).
var statusText = map[int]string{
	200: "OK",
	400: "Bad Request",
	404: "Not Found",
	405: "Method Not Allowed",
}

// request is what we understood of a request's head.
type request struct {
	line    string // the request line as it came, for the log
	method  string // "GET"
	target  string // "/index.html"
	path    string // the target up to a "?": the query is not part of it
	version string // "HTTP/1.1"
}

func main() {
	bind := flag.String("bind", "127.0.0.1", "address to listen on (0.0.0.0: every network interface)")
	dir := flag.String("dir", "web", "folder to serve files from (the document root)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [-bind ADDR] [-dir DIR] [PORT]\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	port := "8000"
	if flag.NArg() > 1 {
		flag.Usage()
		os.Exit(2)
	}
	if flag.NArg() == 1 {
		port = flag.Arg(0)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		fmt.Fprintf(os.Stderr, "bad port %q: give a number from 0 to 65535 (0 lets the system pick one)\n", port)
		os.Exit(2)
	}
	// os.Root opens files only inside this folder: it refuses any name
	// that leads out of it, through ".." or through a symlink, even one
	// made after we checked the name.
	root, err := os.OpenRoot(*dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot serve folder %q: %v (run from the workbook root, or pass -dir DIR)\n", *dir, errors.Unwrap(err))
		os.Exit(2)
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(*bind, port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Ctrl-C (SIGINT) or SIGTERM: a clean exit, status 0. Catch it before
	// saying we are ready: a Ctrl-C may come the moment we do.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-stop
		os.Exit(0)
	}()

	// Port 0 asks the kernel for any free port: print the one we really got.
	addr := ln.Addr().(*net.TCPAddr)
	link := "http://" + net.JoinHostPort(addr.IP.String(), strconv.Itoa(addr.Port)) + "/"
	fmt.Printf("Serving HTTP on %s port %d (%s) ...\n", addr.IP, addr.Port, link)

	for {
		conn, err := ln.Accept()
		if err != nil {
			// Accept fails for reasons that pass (too many open files, a
			// client that gave up): wait a little and go on.
			fmt.Fprintln(os.Stderr, "accept:", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		handle(conn, root)
	}
}

// handle serves one connection, from the first byte to the close.
func handle(conn net.Conn, root *os.Root) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	r := bufio.NewReaderSize(conn, maxLine)

	head, err := readHead(r)
	if err != nil && !errors.Is(err, errTooLarge) {
		return // the client hung up or went quiet: nobody to answer
	}
	req, ok := parseRequest(head)
	var status int
	if err != nil || !ok {
		status = sendError(conn, 400)
	} else {
		status = serve(conn, root, req)
	}
	logRequest(conn, req, status)
}

// readHead reads the request head: every line up to and including the blank
// line that ends it (RFC 9112 §2.1). TCP delivers a stream of bytes, not
// messages: one Read may return half a line, or a line and a half, so we
// let bufio gather bytes until each '\n' instead of trusting one Read.
func readHead(r *bufio.Reader) ([]byte, error) {
	var head []byte
	for {
		line, err := r.ReadSlice('\n')
		head = append(head, line...)
		if errors.Is(err, bufio.ErrBufferFull) || len(head) > maxHead {
			return head, errTooLarge
		}
		if err != nil {
			return head, err // io.EOF: the client hung up mid-request
		}
		// Lines end in CRLF, but RFC 9112 §2.2 lets us accept a bare LF
		// too, which is what nc sends when you type a request by hand.
		if bytes.Equal(line, []byte("\r\n")) || bytes.Equal(line, []byte("\n")) {
			return head, nil
		}
	}
}

// parseRequest reads the request line, "GET /index.html HTTP/1.1": a
// method, a target and a version, one space between each (RFC 9112 §3).
// Anything else is a bad request, not something to guess at: two servers
// that guess differently about one request are how smuggling attacks work.
func parseRequest(head []byte) (request, bool) {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	req := request{line: strings.TrimSuffix(string(line), "\r")}
	parts := strings.Split(req.line, " ")
	if len(parts) != 3 {
		return req, false
	}
	req.method, req.target, req.version = parts[0], parts[1], parts[2]
	// The query string ("?a=1") is input for a program, not part of the
	// path: cut it off once, here, for every function after us.
	req.path, _, _ = strings.Cut(req.target, "?")
	return req, isToken(req.method) && isTarget(req.target) && isVersion(req.version)
}

// isToken reports whether s is a token (RFC 9110 §5.6.2), the grammar of
// method and header names: visible ASCII except the delimiters.
func isToken(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return s != ""
}

// isTarget reports whether s is a path we can serve: it starts with "/"
// and holds only visible ASCII. Anything else in a URL, spaces and
// non-English letters included, must arrive percent-encoded (RFC 3986).
func isTarget(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return strings.HasPrefix(s, "/")
}

// isVersion reports whether s looks like "HTTP/1.1": the name, a slash, and
// one digit each side of a dot (RFC 9112 §2.3).
func isVersion(s string) bool {
	return len(s) == 8 && strings.HasPrefix(s, "HTTP/") &&
		isDigit(s[5]) && s[6] == '.' && isDigit(s[7])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// serve answers one well-formed request and returns the status it sent.
func serve(conn net.Conn, root *os.Root, req request) int {
	if req.method != "GET" {
		// A 405 must list the methods that would work (RFC 9110 §15.5.6).
		return sendError(conn, 405, "Allow: GET")
	}
	name, ok := fileName(req.path)
	if !ok {
		return sendError(conn, 400)
	}
	// A folder is served by the index.html inside it.
	if info, err := root.Stat(name); err == nil && info.IsDir() {
		name = path.Join(name, "index.html")
	}
	// O_NONBLOCK: opening a named pipe (a FIFO) would otherwise wait, for
	// ever, for a program to write into it, and this connection with it.
	// A regular file ignores the flag.
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return sendError(conn, 404)
	}
	defer f.Close()
	// Ask the open file, not the name, what it is: another file may have
	// taken that name since. Serve only regular files, not folders,
	// devices or pipes.
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return sendError(conn, 404)
	}
	writeHead(conn, 200, "text/html; charset=utf-8", info.Size())
	// io.Copy streams the file in pieces, so a large file never sits
	// whole in memory; from a file to a TCP socket, Go even hands the
	// copy to the kernel (sendfile).
	io.Copy(conn, f)
	return 200
}

// fileName turns a request's path into a name under the document root,
// such as "images/gopher.png", or reports false for a path we refuse.
func fileName(p string) (string, bool) {
	// Browsers send "my file.txt" as "my%20file.txt". Decode exactly once:
	// decoding twice turns "%252e" into "%2e" into ".", a classic way past
	// a check made between the two.
	p, err := url.PathUnescape(p)
	if err != nil {
		return "", false
	}
	// Then refuse what no honest browser sends: a ".." segment, which climbs
	// out of a folder (also when it came as %2e%2e, or with %2f for "/");
	// a backslash, a separator on Windows; a NUL byte, which ends a string
	// for the OS underneath, so the OS would open a different name.
	if strings.ContainsAny(p, "\\\x00") || slices.Contains(strings.Split(p, "/"), "..") {
		return "", false
	}
	// "/a//b/./c" names the same file as "a/b/c"; "/" is the root itself.
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name == "" {
		name = "."
	}
	return name, true
}

// sendError answers with an error status and a short page that names it,
// so a person in a browser sees what went wrong rather than a blank page.
// It returns the status, for the log.
func sendError(conn net.Conn, status int, header ...string) int {
	text := fmt.Sprintf("%d %s", status, statusText[status])
	body := "<!DOCTYPE html>\n<html><head><title>" + text + "</title></head>\n" +
		"<body><h1>" + text + "</h1></body></html>\n"
	writeHead(conn, status, "text/html; charset=utf-8", int64(len(body)), header...)
	conn.Write([]byte(body))
	return status
}

// writeHead sends the status line and the headers, then the blank line that
// ends them (RFC 9112 §2.1). Every line ends in CRLF, "\r\n": a bare "\n"
// is the classic slip here, and strict clients refuse it.
//
// Extra header lines, such as "Allow: GET", come after the ones every
// response has.
func writeHead(conn net.Conn, status int, contentType string, length int64, header ...string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, statusText[status])
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().UTC().Format(timeFormat))
	// "charset=utf-8" on text types: without it a browser guesses, and
	// may guess wrong for anything beyond ASCII.
	fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
	// Content-Length says where the body ends. It counts bytes, not
	// characters: "é" is two bytes in UTF-8.
	fmt.Fprintf(&b, "Content-Length: %d\r\n", length)
	// HTTP/1.1 keeps a connection open for more requests unless told
	// otherwise; we serve one request per connection and say so.
	b.WriteString("Connection: close\r\n")
	for _, h := range header {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	_, err := io.WriteString(conn, b.String())
	return err
}

// logRequest prints one line per request, in the format of Python's
// http.server (the Common Log Format, less the size):
//
//	127.0.0.1 - - [22/Nov/2026 01:22:04] "GET /index.html HTTP/1.1" 200 -
func logRequest(conn net.Conn, req request, status int) {
	host, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
	now := time.Now().Format("02/Jan/2006 15:04:05")
	// strconv.Quote escapes control characters: a request line holding
	// terminal escape codes could otherwise rewrite the console.
	fmt.Printf("%s - - [%s] %s %s -\n", host, now, strconv.Quote(req.line), statusColor(status).Sprint(status))
}

// statusColor picks a colour by status class, so errors stand out.
func statusColor(status int) *color.Color {
	switch {
	case status >= 500:
		return color.New(color.FgRed)
	case status >= 400:
		return color.New(color.FgYellow)
	case status >= 300:
		return color.New(color.FgCyan)
	}
	return color.New(color.FgGreen)
}
