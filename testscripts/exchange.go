package testscripts

// An exchange is one request and its response, as bytes: send writes raw
// bytes over a fresh TCP connection, client goes through Go's net/http
// client over a connection that records every byte. The expect commands
// check the last exchange of a script.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// endReason says how reading the response ended.
type endReason int

const (
	endEOF          endReason = iota // the server closed the connection
	endReset                         // the connection was reset (RST)
	endTimeout                       // the grader stopped waiting
	endFramed                        // send -keep: one complete response, connection left open
	endClient                        // client: Go's HTTP client read the response
	endError                         // any other read error
	endNoConnection                  // the dial failed: nothing was sent
)

type exchange struct {
	via      string   // "send" or "client"
	hostport string   // where it went
	pieces   [][]byte // the request, as written (several pieces = fragments)
	response []byte   // every byte that came back
	end      endReason
	err      error // the read error (endError), or the Go client's error
	elapsed  time.Duration
	timeout  time.Duration
	req      clientRequest // client only: the request as the script gave it
	body     []byte        // client only: the body as Go's client decoded it

	answeredAfter int   // send: how many bytes were sent when the first answer byte came; 0 if after all
	sent          int   // send: how many bytes of the request were written
	writeErr      error // send: why a write failed (the server reset the connection), or nil

	parsed *response // lazily parsed response
}

func (ex *exchange) request() []byte { return bytes.Join(ex.pieces, nil) }

// requestLine returns the first line of the request, without its line
// end, after any empty lines a client may send first (RFC 9112 §2.2).
func (ex *exchange) requestLine() string {
	req := ex.request()
	for len(req) > 0 && (req[0] == '\r' || req[0] == '\n') {
		req = req[1:]
	}
	if i := bytes.IndexByte(req, '\n'); i >= 0 {
		req = req[:i]
	}
	return strings.TrimSuffix(string(req), "\r")
}

var requestLineRE = regexp.MustCompile(`^([A-Z]+) (\S+) HTTP/\d\.\d$`)

// subject names the request for a transcript's headline: "GET /index.html"
// for a normal request line, its quoted text for anything else.
func (ex *exchange) subject() string {
	line := ex.requestLine()
	if m := requestLineRE.FindStringSubmatch(line); m != nil {
		if printable(m[2]) != m[2] {
			return m[1] + " " + strconv.Quote(m[2]) // a control byte must not reach the terminal
		}
		return m[1] + " " + m[2]
	}
	if len(ex.request()) == 0 {
		return "a connection with no request"
	}
	return fmt.Sprintf("the request %q", clip(line, 60))
}

// linesSubject names what was sent to a server that speaks in lines.
func (ex *exchange) linesSubject() string {
	req := ex.request()
	switch n := bytes.Count(req, []byte("\n")); {
	case len(req) == 0:
		return "a connection with nothing sent"
	case n > 1:
		return fmt.Sprintf("the %d lines %s", n, strconv.Quote(clip(string(req), 60)))
	}
	return "the line " + strconv.Quote(clip(string(req), 60))
}

// port is the port the exchange went to.
func (ex *exchange) port() string {
	_, port, _ := net.SplitHostPort(ex.hostport)
	return port
}

// method is the request's method ("GET"), or "" if there is none.
func (ex *exchange) method() string {
	m, _, _ := strings.Cut(ex.requestLine(), " ")
	return m
}

func (ex *exchange) resp() *response {
	if ex.parsed == nil {
		ex.parsed = parseResponse(ex.response)
	}
	return ex.parsed
}

// bodyBytes is the response body: as decoded by Go's client for client,
// the bytes after the blank line for send.
func (ex *exchange) bodyBytes() []byte {
	if ex.via == "client" && ex.err == nil {
		return ex.body
	}
	return ex.resp().body
}

func (ex *exchange) sentText() string {
	if len(ex.pieces) == 1 {
		return quoteTrunc(ex.pieces[0])
	}
	parts := make([]string, len(ex.pieces))
	for i, p := range ex.pieces {
		parts[i] = quoteTrunc(p)
	}
	return fmt.Sprintf("%d pieces, one write each: %s", len(parts), strings.Join(parts, " + "))
}

func (ex *exchange) endText() string {
	after := ex.elapsed.Round(time.Millisecond).String()
	if after == "0s" {
		after = "<1ms"
	}
	switch ex.end {
	case endEOF:
		return fmt.Sprintf("then the server closed the connection, after %v", after)
	case endReset:
		return fmt.Sprintf("then the connection was reset, after %v", after)
	case endTimeout:
		if len(ex.response) == 0 {
			return fmt.Sprintf("nothing came back; the grader stopped waiting after %v", ex.timeout)
		}
		return fmt.Sprintf("the connection was still open when the grader stopped waiting after %v", ex.timeout)
	case endFramed:
		return fmt.Sprintf("one complete response after %v: the grader read no further, and left the connection open", after)
	case endClient:
		return fmt.Sprintf("read by Go's HTTP client in %v", after)
	case endNoConnection:
		return fmt.Sprintf("could not connect: %v", ex.err)
	}
	if ex.via == "client" {
		return fmt.Sprintf("Go's HTTP client gave up after %v", after)
	}
	return fmt.Sprintf("reading failed after %v: %v", after, ex.err)
}

// A response is a lenient parse of the bytes that came back: good enough to
// find the status and headers of a slightly broken response. The strict
// checks live in checkWellformed.
type response struct {
	statusLine string
	code       int // -1 if the status line has no 3-digit code
	headers    []header
	headEnd    int // offset of the body; -1 if the blank line never came
	body       []byte
}

type header struct{ name, value string }

func parseResponse(raw []byte) *response {
	r := &response{code: -1, headEnd: -1}
	for off, n := 0, 0; off < len(raw); n++ {
		end := bytes.IndexByte(raw[off:], '\n')
		if end < 0 {
			end = len(raw) // an unfinished last line
		} else {
			end += off + 1
		}
		line := strings.TrimRight(string(raw[off:end]), "\r\n")
		off = end
		switch {
		case n == 0:
			r.statusLine = line
			if f := strings.Fields(line); len(f) >= 2 && len(f[1]) == 3 {
				if c, err := strconv.Atoi(f[1]); err == nil {
					r.code = c
				}
			}
		case line == "":
			r.headEnd = off
			r.body = raw[off:]
			return r
		default:
			if name, value, ok := strings.Cut(line, ":"); ok {
				r.headers = append(r.headers, header{strings.TrimSpace(name), strings.Trim(value, " \t")})
			}
		}
	}
	return r
}

// values returns every value of the header name (case-insensitive).
func (r *response) values(name string) []string {
	var vs []string
	for _, h := range r.headers {
		if strings.EqualFold(h.name, name) {
			vs = append(vs, h.value)
		}
	}
	return vs
}

// responses splits what came back over a connection into its responses,
// framed as a client frames them: a 1xx, 204 or 304 response, or one to a
// HEAD, ends with its head; a chunked body with its last chunk and
// trailers; any other body after Content-Length bytes, or at the close.
// Each part is an exchange of its own, for the expect checks; the last
// one ends as the connection did, the others framed.
func (ex *exchange) responses() []*exchange {
	var methods []string
	for _, line := range strings.Split(string(ex.request()), "\n") {
		if m := requestLineRE.FindStringSubmatch(strings.TrimSuffix(line, "\r")); m != nil {
			methods = append(methods, m[1])
		}
	}
	var parts []*exchange
	raw := ex.response
	for len(raw) > 0 {
		method := ""
		if len(methods) > 0 {
			method = methods[0]
		}
		n := frameLength(raw, method)
		if n < 0 {
			n = len(raw) // not framed: the rest, up to the close
		}
		r := parseResponse(raw[:n])
		if r.code/100 != 1 && len(methods) > 0 {
			methods = methods[1:]
		}
		part := *ex
		part.response, part.parsed, part.end = raw[:n], nil, endFramed
		part.pieces = [][]byte{[]byte(method + " (one of the requests above)")}
		parts = append(parts, &part)
		raw = raw[n:]
	}
	if len(parts) > 0 {
		parts[len(parts)-1].end = ex.end
	}
	return parts
}

// frameLength is the length of the one response at the start of raw, or
// -1 when it is not all there or says nothing of its length.
func frameLength(raw []byte, method string) int {
	r := parseResponse(raw)
	if r.headEnd < 0 {
		return -1
	}
	if method == "HEAD" || r.code/100 == 1 || r.code == 204 || r.code == 304 {
		return r.headEnd
	}
	if te := r.values("Transfer-Encoding"); len(te) > 0 && strings.Contains(strings.ToLower(te[len(te)-1]), "chunked") {
		// The last chunk, "0", starts a line (the blank line's CRLF, or
		// the one after the chunk before); then trailers, up to a blank line.
		from := r.headEnd - 2
		if end := bytes.Index(raw[from:], []byte("\r\n0\r\n")); end >= 0 {
			if t := bytes.Index(raw[from+end+3:], []byte("\r\n\r\n")); t >= 0 {
				return from + end + 3 + t + 4
			}
		}
		return -1
	}
	if cl := r.values("Content-Length"); len(cl) > 0 {
		if n, err := strconv.Atoi(cl[0]); err == nil && r.headEnd+n <= len(raw) {
			return r.headEnd + n
		}
	}
	return -1
}

// complete reports whether raw holds one whole response to a request with
// the given method, framed by Content-Length (or chunked encoding). A
// response without either is complete only when the server closes.
func complete(raw []byte, method string) bool {
	r := parseResponse(raw)
	if r.headEnd < 0 {
		return false
	}
	if method == "HEAD" || r.code/100 == 1 || r.code == 204 || r.code == 304 {
		return true
	}
	if te := r.values("Transfer-Encoding"); len(te) > 0 && strings.Contains(strings.ToLower(te[len(te)-1]), "chunked") {
		return bytes.HasSuffix(r.body, []byte("0\r\n\r\n"))
	}
	if cl := r.values("Content-Length"); len(cl) > 0 {
		n, err := strconv.Atoi(cl[0])
		return err == nil && len(r.body) >= n
	}
	return false
}

type sendOptions struct {
	pause, timeout time.Duration
	keep           bool // stop after one HTTP response, framed
	lines          int  // stop after this many lines (a protocol of lines, below HTTP)
}

// send dials hostport, writes each piece as its own segment, and reads the
// response. Everything that happens, a failed dial included, is recorded in
// the exchange.
func send(hostport string, pieces [][]byte, opt sendOptions) *exchange {
	ex := &exchange{via: "send", hostport: hostport, pieces: pieces, timeout: opt.timeout}
	conn, err := net.DialTimeout("tcp", hostport, 5*time.Second)
	if err != nil {
		ex.end, ex.err = endNoConnection, err
		return ex
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true) // each piece its own segment: no coalescing
	}
	start := time.Now()
	var early []byte // what came back before the last piece was written
	var end endReason = -1
	var readErr error
	sent := 0
	for i, p := range pieces {
		if i > 0 {
			// Pace the fragments, and listen meanwhile: a server that
			// answers before the request is whole has read it with one
			// Read, and the transcript should say so.
			var got []byte
			got, end, readErr = readFor(conn, opt.pause)
			if len(got) > 0 && len(early) == 0 {
				ex.answeredAfter = sent
			}
			early = append(early, got...)
			if end != endTimeout {
				break // the server closed the connection: read no more
			}
			end = -1
		}
		n, err := conn.Write(p)
		sent += n
		if err != nil {
			ex.writeErr = err
			break // the server gave up on us; read what it said
		}
	}
	ex.sent = sent
	var done func([]byte) bool
	switch {
	case opt.keep:
		method := ex.method()
		done = func(b []byte) bool { return complete(b, method) }
	case opt.lines > 0:
		done = func(b []byte) bool { return bytes.Count(b, []byte("\n")) >= opt.lines }
	}
	if end >= 0 {
		ex.response, ex.end, ex.err = early, end, readErr
	} else {
		ex.response, ex.end, ex.err = readAll(conn, early, opt.timeout, done)
	}
	ex.elapsed = time.Since(start)
	return ex
}

// readFor reads what arrives within d. end is endTimeout when the
// connection is still open.
func readFor(conn net.Conn, d time.Duration) ([]byte, endReason, error) {
	conn.SetReadDeadline(time.Now().Add(d))
	var data []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := conn.Read(buf)
		data = append(data, buf[:n]...)
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF):
			return data, endEOF, nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			return data, endTimeout, nil
		default:
			return data, endOf(err), err
		}
	}
}

// earlyAnswer says, when it is so, that the server answered before the
// first request had fully arrived: the mistake of taking one Read for a
// whole request. It returns "" otherwise.
func (ex *exchange) earlyAnswer() string {
	if ex.answeredAfter <= 0 {
		return ""
	}
	req := ex.request()
	headEnd := bytes.Index(req, []byte("\r\n\r\n"))
	switch {
	case headEnd < 0:
		return ""
	case ex.answeredAfter < headEnd+4:
		return fmt.Sprintf("the server answered after the first %d bytes, before the blank line that ends the head had arrived: one Read is not one request. TCP is a stream; keep reading (and appending) until \"\\r\\n\\r\\n\".", ex.answeredAfter)
	}
	r := parseResponse(req) // the same lenient parse reads a request's headers
	if cl := r.values("Content-Length"); len(cl) == 1 {
		if n, err := strconv.Atoi(cl[0]); err == nil && ex.answeredAfter < headEnd+4+n {
			return fmt.Sprintf("the server answered after %d of the body's %d bytes had arrived: one Read may bring only part of a body. Keep reading until Content-Length bytes have come.", ex.answeredAfter-headEnd-4, n)
		}
	}
	return ""
}

// tryItAt spells out the request as a command a student can run by hand
// against the server on port: curl where curl sends what matters of the
// same request (useCurl: the stage speaks HTTP well enough for curl),
// printf | nc otherwise. gzip: the server may compress (final), so curl
// asks for gzip whenever Go's client did.
func (ex *exchange) tryItAt(port string, useCurl, gzip bool) string {
	if n := len(ex.request()); n > 600 {
		return fmt.Sprintf("(the %d bytes this script sends are too many to type: run the script with -v to see them, and send them from a file: nc 127.0.0.1 %s < request.txt)", n, port)
	}
	host, _, _ := net.SplitHostPort(ex.hostport)
	hostport := net.JoinHostPort(host, port)
	if ex.via == "client" {
		req := ex.req
		// Go's client adds Accept-Encoding: gzip of its own (and decodes
		// the answer); curl sends it only with --compressed.
		req.compressed = gzip && len(ex.pieces) == 1 && bytes.Contains(ex.pieces[0], []byte("\r\nAccept-Encoding: gzip\r\n")) &&
			!slices.ContainsFunc(req.headers, func(h string) bool { return strings.HasPrefix(strings.ToLower(h), "accept-encoding:") })
		return curlCommand("http://"+hostport+req.path, req)
	}
	if req, ok := asCurl(ex.pieces); ok && useCurl {
		return curlCommand("http://"+hostport+req.path, req)
	}
	return ncCommand(ex.pieces, host, port)
}

// asCurl reads a raw request as one curl can send: one piece (curl cannot
// send a request in fragments), HTTP/1.1, a path of printable ASCII, a
// Host header, no header twice or empty, and a body only when
// Content-Length frames all of it. Anything else is a test of what a
// client like curl would never send, and goes through nc.
func asCurl(pieces [][]byte) (clientRequest, bool) {
	var req clientRequest
	if len(pieces) != 1 {
		return req, false
	}
	head, body, ok := strings.Cut(string(pieces[0]), "\r\n\r\n")
	if !ok {
		return req, false
	}
	lines := strings.Split(head, "\r\n")
	m := curlLineRE.FindStringSubmatch(lines[0])
	if m == nil || m[1] == "CONNECT" || m[1] == "OPTIONS" || m[1] == "TRACE" {
		return req, false
	}
	req.method, req.path = m[1], m[2]
	seen := map[string]bool{}
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		name, value = strings.ToLower(name), strings.TrimSpace(value)
		if !ok || !isHeaderName(name) || value == "" || seen[name] || strings.ContainsAny(value, "\r\n") ||
			name == "transfer-encoding" || name == "expect" || name == "content-length" && value != strconv.Itoa(len(body)) {
			return req, false
		}
		seen[name] = true
		if name != "content-length" {
			req.headers = append(req.headers, l)
		}
	}
	if !seen["host"] || len(body) > 0 && !seen["content-length"] {
		return req, false
	}
	if len(body) > 0 {
		req.data = []byte(body)
	}
	return req, true
}

var curlLineRE = regexp.MustCompile(`^([A-Z]+) (/[!-~]*) HTTP/1\.1$`)

func isHeaderName(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r))
	}) < 0
}

// ncCommand spells out a request as a shell command for the transcript.
// Fragments become several printf calls with a pause between them.
func ncCommand(pieces [][]byte, host, port string) string {
	nc := " | nc " + host + " " + port
	if len(pieces) == 1 {
		return "printf " + printfArg(pieces[0]) + nc
	}
	parts := make([]string, len(pieces))
	for i, p := range pieces {
		parts[i] = "printf " + printfArg(p)
	}
	return "(" + strings.Join(parts, "; sleep 1; ") + ")" + nc
}

// readAll reads until EOF, an error, the timeout, or done says the
// response is complete.
func readAll(conn net.Conn, data []byte, timeout time.Duration, done func([]byte) bool) ([]byte, endReason, error) {
	if done != nil && done(data) {
		return data, endFramed, nil
	}
	conn.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 32<<10)
	for {
		n, err := conn.Read(buf)
		data = append(data, buf[:n]...)
		if done != nil && done(data) {
			return data, endFramed, nil
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF):
			return data, endEOF, nil
		default:
			return data, endOf(err), err
		}
	}
}

// endOf classifies a read or client error.
func endOf(err error) endReason {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return endEOF
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return endTimeout
	case isReset(err):
		return endReset
	case isRefused(err):
		return endNoConnection
	}
	return endError
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) ||
		strings.Contains(err.Error(), "forcibly closed") // Windows' WSAECONNRESET
}

func isRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "actively refused")
}

type clientRequest struct {
	method, path string
	data         []byte
	headers      []string // "Name: value"
	compressed   bool     // asks for gzip and decodes it: Go's client does unless told otherwise, curl with --compressed
}

// recordingConn keeps a copy of every byte the Go client writes and reads,
// so a client exchange can be shown and checked like a raw one.
type recordingConn struct {
	net.Conn
	mu             sync.Mutex
	sent, received bytes.Buffer
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.received.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.sent.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) bytes() (sent, received []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.sent.Bytes()), bytes.Clone(c.received.Bytes())
}

// doClient makes one request with Go's HTTP client: a fresh transport, no
// keep-alive, no redirects followed (a 301 is checked, not chased), 10 s
// timeout. The exchange's err is set if the client failed.
func doClient(hostport string, req clientRequest) *exchange {
	const timeout = 10 * time.Second
	ex := &exchange{via: "client", hostport: hostport, timeout: timeout, end: endClient}
	url := "http://" + hostport + req.path
	ex.req = req

	// Every connection dialled records its bytes, and the one the request
	// went on (GotConn) is the one shown: the transport may dial one more
	// than it uses.
	var mu sync.Mutex
	var rec *recordingConn
	tr := &http.Transport{
		DisableKeepAlives: true,
		Proxy:             nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &recordingConn{Conn: c}, nil
		},
	}
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if c, ok := info.Conn.(*recordingConn); ok {
			mu.Lock()
			rec = c
			mu.Unlock()
		}
	}}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	start := time.Now()
	ex.err = func() error {
		var body io.Reader
		if req.data != nil {
			body = bytes.NewReader(req.data)
		}
		hr, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), req.method, url, body)
		if err != nil {
			return err
		}
		for _, h := range req.headers {
			name, value, _ := strings.Cut(h, ":")
			name, value = strings.TrimSpace(name), strings.TrimSpace(value)
			if strings.EqualFold(name, "Host") {
				hr.Host = value
			} else {
				hr.Header.Add(name, value)
			}
		}
		resp, err := client.Do(hr)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		ex.body, err = io.ReadAll(resp.Body)
		return err
	}()
	ex.elapsed = time.Since(start)
	if ex.err != nil {
		ex.end = endOf(ex.err)
	}
	mu.Lock()
	defer mu.Unlock()
	if rec != nil {
		sent, received := rec.bytes()
		ex.pieces, ex.response = [][]byte{sent}, received
	} else {
		// Never connected: show the request Go would have sent.
		ex.pieces = [][]byte{[]byte(fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\n\r\n", req.method, req.path, hostport))}
	}
	return ex
}

// curlCommand spells out a client request as a curl command line.
func curlCommand(url string, req clientRequest) string {
	args := []string{"curl", "-v"}
	if strings.Contains(url, "/.") {
		args = append(args, "--path-as-is") // curl would remove the dot segments itself
	}
	if strings.ContainsAny(url, "[]{}") {
		args = append(args, "-g") // no curl globbing
	}
	switch {
	case req.method == "HEAD":
		args = append(args, "-I")
	case req.method != "GET" && !(req.method == "POST" && req.data != nil):
		args = append(args, "-X", req.method)
	}
	if req.compressed {
		args = append(args, "--compressed")
	}
	for _, h := range req.headers {
		args = append(args, "-H", shellQuote(h))
	}
	if req.data != nil {
		args = append(args, "--data-binary", printfArgForCurl(req.data))
	}
	return strings.Join(append(args, shellQuote(url)), " ")
}

// printfArgForCurl quotes data for curl: plain shell quoting when it is
// printable, else a $(printf ...) so the exact bytes go out.
func printfArgForCurl(data []byte) string {
	if bytes.IndexFunc(data, func(r rune) bool { return r < 0x20 || r == 0x7f }) < 0 {
		return shellQuote(string(data))
	}
	return `"$(printf ` + printfArg(data) + `)"`
}
