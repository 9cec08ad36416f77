package main

import (
	"bytes"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeConn hands out its pieces, one per Read, and records what is written.
type fakeConn struct {
	net.Conn // nil: only the methods below may be called
	pieces   []string
	written  bytes.Buffer
}

func (c *fakeConn) Read(p []byte) (int, error) {
	if len(c.pieces) == 0 {
		return 0, os.ErrDeadlineExceeded
	}
	n := copy(p, c.pieces[0])
	c.pieces = c.pieces[1:]
	return n, nil
}

func (c *fakeConn) Write(p []byte) (int, error)      { return c.written.Write(p) }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }
func (c *fakeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1234} }

// TestHandleConnection calls handleConnection as an event loop would: once
// per piece of input, which may hold part of a request, or one and a half.
func TestHandleConnection(t *testing.T) {
	s := &server{serverSettings: serverSettings{handler: handlerFunc(hello),
		idleTimeout: time.Second, headTimeout: time.Second, bodyTimeout: time.Second}}
	conn := &fakeConn{pieces: []string{
		"GET /hello/a HTTP/1.1\r\nHo",
		"st: x\r\n\r\nPOST /hello/b HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbo",
		"dyGET /hello/c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\n",
	}}
	answers := regexp.MustCompile(`HTTP/1\.1 200 OK\r\n(?:.*\r\n)*\r\nhello, (/hello/.)\n`)
	var st connState
	var done bool
	for i, want := range []string{"", "/hello/a", "/hello/b /hello/c"} {
		done, st = s.handleConnection(&netConn{Conn: conn}, st)
		var got []string
		for _, m := range answers.FindAllStringSubmatch(conn.written.String(), -1) {
			got = append(got, m[1])
		}
		if g := strings.Join(got, " "); g != want || done != (i == 2) {
			t.Fatalf("call %d: answered %q, done %v; want %q, done %v\n%s", i+1, g, done, want, i == 2, conn.written.String())
		}
		conn.written.Reset()
	}
}
