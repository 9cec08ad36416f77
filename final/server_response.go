package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	// writeTimeout bounds each write: a client that stops reading must not
	// hold a goroutine for ever.
	writeTimeout = 30 * time.Second
	// filePiece is how much of a file goes out under one write deadline.
	filePiece = 1 << 20
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
	408: "Request Timeout",
	409: "Conflict",
	410: "Gone",
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

// response is one response on its way to the client. Every byte goes out
// through its send method, in one place, where the write deadline is set.
type response struct {
	conn      Conn
	req       *request
	noBody    bool  // headers only: a HEAD (RFC 9110 §9.3.2), a 204 or a 304
	keepAlive bool  // false: "Connection: close", and we close after it
	chunked   bool  // the body goes out in chunks, its length unknown
	status    int   // the status sent, 0 until writeHead
	err       error // the first write error: nothing more can be sent
}

// send writes p to the connection, unless an earlier write failed.
func (w *response) send(p []byte) error {
	if w.err == nil {
		w.err = send(w.conn, p)
	}
	return w.err
}

// send writes p to conn, within writeTimeout.
func send(conn Conn, p []byte) error {
	conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := conn.Write(p)
	return err
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
	if w.chunked {
		chunk = fmt.Appendf(nil, "%x\r\n%s\r\n", len(p), p)
	}
	if err := w.send(chunk); err != nil {
		return 0, err
	}
	return len(p), nil
}

// sendFile sends the next n bytes of f. io.Copy from an *os.File (here
// inside an io.LimitedReader) to a *net.TCPConn hands the work to the
// kernel, sendfile(2): the bytes go from the file cache to the socket
// without passing through this program. A piece at a time, each under a
// fresh write deadline, so a big file reaches a slow client, but a client
// that stops reading is dropped.
func (w *response) sendFile(f *os.File, n int64) error {
	for n > 0 && w.err == nil && !w.noBody {
		w.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		sent, err := io.Copy(w.conn, io.LimitReader(f, min(n, filePiece)))
		if err == nil && sent == 0 {
			err = io.ErrUnexpectedEOF // the file got shorter under us
		}
		n -= sent
		w.err = err
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
	if w.chunked && !w.noBody {
		w.send([]byte("0\r\n\r\n"))
	}
}

// sendError answers with a status and a short page that names it, so a
// person in a browser sees what went wrong rather than a blank page; a
// redirect gets the same page, with a link to where it leads, for a
// client that does not follow it (RFC 9110 §15.4). It returns the status,
// for the log.
func sendError(w *response, status int, header ...string) int {
	var location string
	for _, h := range header {
		if l, ok := strings.CutPrefix(h, "Location: "); ok {
			location = l
		}
	}
	var body bytes.Buffer
	errorTemplate.Execute(&body, struct {
		Status   int
		Text     string
		Location string
	}{status, statusText[status], location})
	writeResponse(w, status, "text/html; charset=utf-8", body.Bytes(), header...)
	return status
}

// writeResponse sends a whole response whose body is in memory: the head
// and the body in one write. Two writes would cost two system calls, and
// often two TCP packets where one would do.
func writeResponse(w *response, status int, contentType string, body []byte, header ...string) error {
	// One allocation: room for a head of the usual size, and the body.
	p := make([]byte, 0, 512+len(body))
	p = appendHead(w, p, status, contentType, int64(len(body)), header...)
	if !w.noBody {
		p = append(p, body...)
	}
	return w.send(p)
}

// writeHead sends the status line and the headers, then the blank line that
// ends them, and leaves the body to Write or sendFile.
//
// length is the body's length, or -1 when it is not known in advance.
// Extra header lines, such as "Allow: GET", come after the ones every
// response has.
func writeHead(w *response, status int, contentType string, length int64, header ...string) error {
	return w.send(appendHead(w, nil, status, contentType, length, header...))
}

// appendHead appends the head of the response to p (RFC 9112 §2.1): the
// status line, the headers, each line ending in CRLF, "\r\n" (a bare "\n"
// is the classic slip here, and strict clients refuse it), and the blank
// line. It is built with append into one slice, rather than with
// fmt.Fprintf line by line: it is made for every response.
func appendHead(w *response, p []byte, status int, contentType string, length int64, header ...string) []byte {
	w.status = status
	// We answer in HTTP/1.1 whatever the request's version: a server
	// sends the highest version it speaks (RFC 9110 §6.2).
	p = append(p, "HTTP/1.1 "...)
	p = strconv.AppendInt(p, int64(status), 10)
	p = append(p, " "+statusText[status]+"\r\nDate: "...)
	p = time.Now().UTC().AppendFormat(p, timeFormat)
	p = append(p, "\r\n"...)
	if contentType != "" {
		p = append(p, "Content-Type: "+contentType+"\r\n"...)
	}
	switch {
	case status == 204 || status == 304:
		// No content, and so no Content-Length (RFC 9110 §8.6).
		w.noBody = true
	case length >= 0:
		// Content-Length says where the body ends, so the connection can
		// carry the next response. It counts bytes, not characters.
		p = append(p, "Content-Length: "...)
		p = strconv.AppendInt(p, length, 10)
		p = append(p, "\r\n"...)
	case w.req.version == "HTTP/1.1":
		// Length unknown: send the body in chunks, each with its size,
		// and the connection stays usable (RFC 9112 §7.1).
		p = append(p, "Transfer-Encoding: chunked\r\n"...)
		w.chunked = true
	default:
		// An HTTP/1.0 client knows no chunks: the body ends when we
		// close the connection (RFC 9112 §6.3, last rule).
		w.keepAlive = false
	}
	if !w.keepAlive {
		p = append(p, "Connection: close\r\n"...)
	} else if w.req.version == "HTTP/1.0" {
		// HTTP/1.0 closes by default: say that we don't.
		p = append(p, "Connection: keep-alive\r\n"...)
	}
	for _, h := range header {
		p = append(p, h+"\r\n"...)
	}
	return append(p, "\r\n"...)
}
