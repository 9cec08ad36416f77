// A server that answers some paths with pages it calculates (the time, a
// sum, a form's reply) and every other path with the file it names,
// labelled with its content type, or with a list of what a folder holds,
// from a document root no request can climb out of.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"math/big"
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
	// maxBody bounds a request body, which we hold in memory whole.
	maxBody = 1 << 20
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
	413: "Content Too Large",
	501: "Not Implemented",
}

// contentTypes maps a file extension to the media type that tells a client
// what the bytes are (RFC 9110 §8.3): an image sent as text/html shows as
// garbage. Text types say their charset, or browsers guess it.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".htm":   "text/html; charset=utf-8",
	".txt":   "text/plain; charset=utf-8",
	".md":    "text/markdown; charset=utf-8",
	".csv":   "text/csv; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".json":  "application/json",
	".xml":   "application/xml",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".jpeg":  "image/jpeg",
	".gif":   "image/gif",
	".webp":  "image/webp",
	".svg":   "image/svg+xml",
	".ico":   "image/vnd.microsoft.icon",
	".pdf":   "application/pdf",
	".zip":   "application/zip",
	".wasm":  "application/wasm",
	".woff2": "font/woff2",
	".mp3":   "audio/mpeg",
	".mp4":   "video/mp4",
}

// request is what we understood of a request's head.
type request struct {
	line    string // the request line as it came, for the log
	method  string // "GET"
	target  string // "/index.html"
	path    string // the target up to a "?": the query is not part of it
	query   string // what follows the "?", "a=2&b=3": input for a page
	version string // "HTTP/1.1"
	// header holds each header's values by name, in lower case, because
	// names ignore case (RFC 9110 §5.1): "Content-Length: 5" is found as
	// header["content-length"] == []string{"5"}.
	header map[string][]string
	body   []byte
}

// route is a path answered by code rather than by a file.
type route struct {
	path   string // a path that ends in "/" also matches every path below it
	allow  string // the methods it answers, as an Allow header lists them
	answer func(req request) (status int, contentType, body string)
}

// routes are looked at, in order, before the files.
var routes = []route{
	{"/the_time", "GET", theTime},
	{"/hello/", "GET, POST", hello},
	{"/sum", "GET", sum},
	{"/form", "GET, POST", form},
}

// foods says where to go for each choice on the food form.
var foods = map[string]string{
	"Pizza": "Pizza Hut",
	"Tacos": "TacoBell",
	"Salad": "Sweetgreen",
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
	} else if req.body, status = readBody(r, req); status != 0 {
		sendError(conn, status)
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
	line, rest, _ := bytes.Cut(head, []byte("\n"))
	req := request{line: strings.TrimSuffix(string(line), "\r")}
	parts := strings.Split(req.line, " ")
	if len(parts) != 3 {
		return req, false
	}
	req.method, req.target, req.version = parts[0], parts[1], parts[2]
	// The query string ("?a=1") is input for a program, not part of the
	// path: cut it off once, here, for every function after us.
	req.path, req.query, _ = strings.Cut(req.target, "?")

	// Each header line is "Name: value" (RFC 9112 §5), with optional
	// spaces around the value. A line without a colon, or a space before
	// it ("Host : x"), must be refused (§5.1): servers and proxies that
	// read it in different ways are how request smuggling attacks work.
	req.header = map[string][]string{}
	for _, h := range strings.Split(string(rest), "\n") {
		h = strings.TrimSuffix(h, "\r")
		if h == "" {
			continue // the blank line that ends the head
		}
		name, value, found := strings.Cut(h, ":")
		if !found || !isToken(name) {
			return req, false
		}
		name = strings.ToLower(name)
		req.header[name] = append(req.header[name], strings.Trim(value, " \t"))
	}
	// HTTP/1.1 needs exactly one Host header (RFC 9112 §3.2), naming the
	// site: one server at one address often serves several.
	if req.version == "HTTP/1.1" && len(req.header["host"]) != 1 {
		return req, false
	}
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

// readBody reads the body that the head announces, all of it, so that none
// of it is left unread on the connection. It returns the body, or the error
// status to answer when the body cannot be read.
func readBody(r *bufio.Reader, req request) ([]byte, int) {
	if len(req.header["transfer-encoding"]) > 0 {
		// A body sent in chunks has no length up front. An HTTP/1.1
		// server must be able to decode chunks (RFC 9112 §6.1); the final
		// server does. This one can't yet, and says so, 501 Not
		// Implemented, rather than read the chunks as the next request.
		return nil, 501
	}
	lengths := req.header["content-length"]
	if len(lengths) == 0 {
		return nil, 0 // no Content-Length, no body (RFC 9112 §6.3)
	}
	// Only digits: ParseUint refuses "-1", "+5", " 5" and "0x10". Two
	// lengths, even equal ones, are refused: which one would we believe?
	n, err := strconv.ParseUint(lengths[0], 10, 63)
	if err != nil || len(lengths) > 1 {
		return nil, 400
	}
	if n > maxBody {
		return nil, 413
	}
	// The body may have come in the same packet as the head, and is then
	// already in r's buffer: read it through r, never from conn directly.
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, 400
	}
	return body, 0
}

// serve answers one well-formed request and returns the status it sent.
func serve(conn net.Conn, root *os.Root, req request) int {
	if rt, ok := findRoute(req.path); ok {
		return serveRoute(conn, rt, req)
	}
	if req.method != "GET" {
		// A 405 must list the methods that would work (RFC 9110 §15.5.6).
		return sendError(conn, 405, "Allow: GET")
	}
	name, ok := fileName(req.path)
	if !ok {
		return sendError(conn, 400)
	}
	// A folder is served by the index.html inside it, or else by a list
	// of what it holds.
	if info, err := root.Stat(name); err == nil && info.IsDir() {
		if _, err := root.Stat(path.Join(name, "index.html")); err != nil {
			return sendListing(conn, root, name)
		}
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
	writeHead(conn, 200, contentType(name), info.Size())
	// io.Copy streams the file in pieces, so a large file never sits
	// whole in memory; from a file to a TCP socket, Go even hands the
	// copy to the kernel (sendfile).
	io.Copy(conn, f)
	return 200
}

// findRoute finds the route for a path, if it has one.
func findRoute(p string) (route, bool) {
	for _, rt := range routes {
		if p == rt.path || strings.HasSuffix(rt.path, "/") && strings.HasPrefix(p, rt.path) {
			return rt, true
		}
	}
	return route{}, false
}

// serveRoute answers a request with the page its route calculates.
func serveRoute(conn net.Conn, rt route, req request) int {
	if !slices.Contains(strings.Split(rt.allow, ", "), req.method) {
		return sendError(conn, 405, "Allow: "+rt.allow)
	}
	status, contentType, body := rt.answer(req)
	writeHead(conn, status, contentType, int64(len(body)))
	conn.Write([]byte(body))
	return status
}

// theTime answers /the_time with the time on the server's clock.
func theTime(req request) (int, string, string) {
	now := time.Now().Format("Monday 2 January 2006, 15:04:05 MST")
	return 200, "text/html; charset=utf-8", "<!DOCTYPE html>\n<html><head><title>The time</title></head>\n" +
		"<body><h1>The time is " + now + "</h1></body></html>\n"
}

// hello answers /hello/anything, for GET and POST alike, with its path.
func hello(req request) (int, string, string) {
	p := req.path
	if decoded, err := url.PathUnescape(p); err == nil {
		p = decoded
	}
	// text/plain: the path is the visitor's text, and as plain text it
	// can't be run as a script in the page.
	return 200, "text/plain; charset=utf-8", "hello, " + p + "\n"
}

// sum answers /sum?a=2&b=3, the sum server of the sockets lecture.
func sum(req request) (int, string, string) {
	q, err := formValues(req)
	// big.Int adds whole numbers of any size: no overflow to think about.
	a, okA := new(big.Int).SetString(q.Get("a"), 10)
	b, okB := new(big.Int).SetString(q.Get("b"), 10)
	if err != nil || !okA || !okB {
		return 400, "text/plain; charset=utf-8", "400 Bad Request: sum needs two whole numbers, as in /sum?a=2&b=3\n"
	}
	return 200, "text/plain; charset=utf-8", fmt.Sprintf("%s + %s = %s\n", a, b, new(big.Int).Add(a, b))
}

// form answers the food form, sent with GET or POST.
func form(req request) (int, string, string) {
	q, err := formValues(req)
	name := q.Get("firstname")
	place, ok := foods[q.Get("food")]
	if err != nil || name == "" || !ok {
		return 400, "text/plain; charset=utf-8", "400 Bad Request: the form needs a firstname and a food (Pizza, Tacos or Salad)\n"
	}
	// The name is the visitor's text, going back into HTML: escaped, a
	// name like "<script>…" shows as text instead of running as code in
	// the page (cross-site scripting).
	msg := html.EscapeString(name) + ", go to " + place + " tonight!"
	return 200, "text/html; charset=utf-8", "<!DOCTYPE html>\n<html><head><title>Dinner</title></head>\n" +
		"<body><h1>" + msg + "</h1></body></html>\n"
}

// formValues reads a form's fields: from the query string of a GET, or from
// the body of a POST, in the application/x-www-form-urlencoded format that
// browsers use for both ("firstname=John&food=Tacos"). url.ParseQuery
// splits the pairs and decodes "+" and "%XX" for us.
func formValues(req request) (url.Values, error) {
	if req.method == "POST" {
		contentType := strings.Join(req.header["content-type"], ",")
		mediaType, _, _ := strings.Cut(contentType, ";")
		if !strings.EqualFold(strings.TrimSpace(mediaType), "application/x-www-form-urlencoded") {
			return url.Values{}, errors.New("the body is not a form")
		}
		return url.ParseQuery(string(req.body))
	}
	return url.ParseQuery(req.query)
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

// sendListing answers with the names in a folder as plain text, one a
// line, sorted, folders marked with a trailing "/".
//
// A listing shows everything in the folder, including files nobody was
// meant to find (backups, .env, .git): that is why real servers make it
// a switch, "autoindex off" in nginx (the default), "Options -Indexes" in
// Apache.
func sendListing(conn net.Conn, root *os.Root, name string) int {
	dir, err := root.Open(name)
	if err != nil {
		return sendError(conn, 404)
	}
	defer dir.Close()
	entries, err := dir.ReadDir(-1)
	if err != nil {
		return sendError(conn, 404)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name()+"/")
		} else {
			names = append(names, e.Name())
		}
	}
	// ReadDir returns entries in the order the file system keeps them,
	// which is no order at all on most file systems.
	slices.Sort(names)
	var body strings.Builder
	for _, n := range names {
		body.WriteString(n + "\n")
	}
	writeHead(conn, 200, "text/plain; charset=utf-8", int64(body.Len()))
	conn.Write([]byte(body.String()))
	return 200
}

// contentType looks a file's extension up in contentTypes. It ignores case,
// as "PHOTO.JPG" is a JPEG too. An unknown type goes out as plain bytes,
// application/octet-stream, which a browser saves rather than shows.
func contentType(name string) string {
	if t, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
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
