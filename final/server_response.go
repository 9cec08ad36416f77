package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// timeFormat is IMF-fixdate, the one date format HTTP senders use
// (RFC 9110 §5.6.7). Go's layouts are written as this moment in time:
// Mon Jan 2 15:04:05 2006. The zone is always GMT, so call UTC() first.
const timeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// statusText is the reason phrase that follows each status code. Clients
// go by the number; the words are for people (RFC 9112 §4).
var statusText = map[int]string{
	100: "Continue",
	200: "OK",
	201: "Created",
	202: "Accepted",
	204: "No Content",
	206: "Partial Content",
	301: "Moved Permanently",
	302: "Found",
	303: "See Other",
	304: "Not Modified",
	307: "Temporary Redirect",
	308: "Permanent Redirect",
	400: "Bad Request",
	401: "Unauthorized",
	403: "Forbidden",
	404: "Not Found",
	405: "Method Not Allowed",
	406: "Not Acceptable",
	408: "Request Timeout",
	409: "Conflict",
	410: "Gone",
	412: "Precondition Failed",
	413: "Content Too Large",
	414: "URI Too Long",
	416: "Range Not Satisfiable",
	417: "Expectation Failed",
	422: "Unprocessable Content",
	429: "Too Many Requests",
	431: "Request Header Fields Too Large",
	500: "Internal Server Error",
	501: "Not Implemented",
	502: "Bad Gateway",
	503: "Service Unavailable",
	504: "Gateway Timeout",
	505: "HTTP Version Not Supported",
}

// errAborted marks a response that could not be finished, such as a CGI
// script killed halfway through its output: the client must see the
// connection close, not a response that looks complete.
var errAborted = errors.New("response aborted")

// response is one response on its way to the client: the w a handler
// writes to. Every byte goes out through its send method.
type response struct {
	conn      Conn
	req       *request
	errorPage func(status int, location string) []byte // the server's errorPage
	noBody    bool                                     // headers only: a HEAD (RFC 9110 §9.3.2), a 204 or a 304
	keepAlive bool                                     // false: "Connection: close", and we close after it
	framing   framing                                  // how the client finds the body's end: decided by frame
	status    int                                      // the status sent, 0 until the head: what the access log shows
	err       error                                    // the first write error: nothing more can be sent
}

// framing is how a client finds where a response's body ends (RFC 9112
// §6.3). It also decides whether the connection can carry another
// response after this one.
type framing int

const (
	withLength framing = iota // Content-Length: the body is that many bytes
	inChunks                  // Transfer-Encoding: chunked, each chunk with its size, then one of size 0
	untilClose                // the body ends when we close the connection
	noContent                 // a 204 or a 304: no body, and no Content-Length (RFC 9110 §8.6)
)

// send writes p to the connection, unless an earlier write failed.
func (w *response) send(p []byte) error {
	if w.err == nil {
		_, w.err = w.conn.Write(p)
	}
	return w.err
}

// Write sends body bytes. It drops them when the response has no body,
// so HEAD needs no special case in the code that makes a body, and frames
// them when the body goes out in chunks.
func (w *response) Write(p []byte) (int, error) {
	if w.noBody || len(p) == 0 {
		// A zero-length chunk would tell the client the body has ended.
		return len(p), nil
	}
	chunk := p
	if w.framing == inChunks {
		chunk = fmt.Appendf(nil, "%x\r\n%s\r\n", len(p), p)
	}
	if err := w.send(chunk); err != nil {
		return 0, err
	}
	return len(p), nil
}

// sendFile sends the next n bytes of f as the body, the way the connection
// sends files best: sendfile(2).
func (w *response) sendFile(f *os.File, n int64) error {
	if w.err == nil && !w.noBody {
		w.err = w.conn.sendFile(f, n)
	}
	return w.err
}

// abort gives up on the response: the connection will close without the
// end of the body, which is how a client learns that it is incomplete.
func (w *response) abort() {
	if w.err == nil {
		w.err = errAborted
	}
}

// finish ends a chunked body with the last chunk, of size 0, and an empty
// trailer (RFC 9112 §7.1).
func (w *response) finish() {
	if w.framing == inChunks && !w.noBody {
		w.send([]byte("0\r\n\r\n"))
	}
}

// sendError answers with a status and a short page that names it, so a
// person in a browser sees what went wrong rather than a blank page; a
// redirect gets the same page, with a link to where it leads, for a
// client that does not follow it (RFC 9110 §15.4). The page is the
// server's errorPage: the layers above make it from the site's templates.
func sendError(w *response, status int, header ...string) {
	var location string
	for _, h := range header {
		if l, ok := strings.CutPrefix(h, "Location: "); ok {
			location = l
		}
	}
	writeResponse(w, status, "text/html; charset=utf-8", w.errorPage(status, location), header...)
}

// writeHead sends the status line and the headers, then the blank line that
// ends them, and leaves the body to Write or sendFile.
//
// length is the body's length, or -1 when it is not known in advance.
// Extra header lines, such as "Allow: GET", come after the ones every
// response has.
func writeHead(w *response, status int, contentType string, length int64, header ...string) error {
	w.frame(status, length)
	// Room for a head of the usual size: appending to nil would grow the
	// slice, and copy it, five or six times.
	return w.send(w.appendHead(make([]byte, 0, 512), contentType, length, header))
}

// writeResponse sends a whole response whose body is in memory: the head
// and the body in one write. Two writes would cost two system calls, and
// often two TCP packets where one would do.
func writeResponse(w *response, status int, contentType string, body []byte, header ...string) error {
	w.frame(status, int64(len(body)))
	// One allocation: room for a head of the usual size, and the body.
	p := w.appendHead(make([]byte, 0, 512+len(body)), contentType, int64(len(body)), header)
	if !w.noBody {
		p = append(p, body...)
	}
	return w.send(p)
}

// frame decides, before a byte of the head is written, how the client
// will find the end of the body, and so whether the connection can carry
// another response after this one. It is the one place where that is
// decided: appendHead only writes down what was decided here.
func (w *response) frame(status int, length int64) {
	w.status = status
	switch {
	case status == 204 || status == 304:
		w.framing, w.noBody = noContent, true
	case length >= 0:
		// Content-Length says where the body ends, so the connection can
		// carry the next response.
		w.framing = withLength
	case w.req.version == "HTTP/1.1":
		// Length unknown: send the body in chunks, each with its size,
		// and the connection stays usable (RFC 9112 §7.1).
		w.framing = inChunks
	default:
		// An HTTP/1.0 client knows no chunks: the body ends when we
		// close the connection (RFC 9112 §6.3, last rule).
		w.framing, w.keepAlive = untilClose, false
	}
}

// appendHead appends the head of the response to p (RFC 9112 §2.1): the
// status line, the headers, each line ending in CRLF, "\r\n" (a bare "\n"
// is the classic slip here, and strict clients refuse it), and the blank
// line that ends them. Stage 8 printed each line with fmt.Fprintf; here
// each is appended to one byte slice, which formats nothing and allocates
// nothing, for a head is made for every response.
func (w *response) appendHead(p []byte, contentType string, length int64, header []string) []byte {
	// We answer in HTTP/1.1 whatever the request's version: a server
	// sends the highest version it speaks (RFC 9110 §6.2).
	p = append(p, "HTTP/1.1 "...)
	p = strconv.AppendInt(p, int64(w.status), 10)
	p = append(p, " "+statusText[w.status]+"\r\n"...)

	p = append(p, "Date: "...)
	p = time.Now().UTC().AppendFormat(p, timeFormat)
	p = append(p, "\r\n"...)

	if contentType != "" {
		p = append(p, "Content-Type: "+contentType+"\r\n"...)
	}

	switch w.framing {
	case withLength:
		// It counts bytes, not characters: "é" is two bytes in UTF-8.
		p = append(p, "Content-Length: "...)
		p = strconv.AppendInt(p, length, 10)
		p = append(p, "\r\n"...)
	case inChunks:
		p = append(p, "Transfer-Encoding: chunked\r\n"...)
	}

	switch {
	case !w.keepAlive:
		p = append(p, "Connection: close\r\n"...)
	case w.req.version == "HTTP/1.0":
		// HTTP/1.0 closes by default: say that we don't.
		p = append(p, "Connection: keep-alive\r\n"...)
	}

	for _, h := range header {
		p = append(p, h+"\r\n"...)
	}
	return append(p, "\r\n"...)
}
