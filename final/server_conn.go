package main

import (
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"time"
)

const (
	// readSize is how much room each read gets.
	readSize = 16 << 10
	// lingerTime and lingerMax bound how long, and how much, we keep
	// reading from a client after we have decided to close.
	lingerTime = 500 * time.Millisecond
	lingerMax  = 256 << 10
)

// phase says which deadline a connection is under.
type phase int

const (
	idle        phase = iota // between requests: the keep-alive timeout
	headArrives              // a request's head is arriving: the head timeout
	bodyArrives              // its body is arriving: the body timeout
)

// connState is what a connection carries from one call of handleConnection
// to the next: the bytes received but not used yet, and how far the
// request they belong to has come.
type connState struct {
	buf      []byte    // received, not yet part of an answered request
	req      *request  // a request whose head is read and whose body is not
	body     bodyState // where that body stands
	phase    phase
	deadline time.Time // when the phase ends: the idle wait, or the head or body now arriving
}

// Conn is what handleConnection needs of a connection, and no more. A
// *net.TCPConn is one, in the sequential and goroutine modes, where Read
// waits for bytes and Write for the client to take them. The event loop's
// evConn is another: its Read returns what has arrived, perhaps nothing
// (0, nil), and its Write queues the bytes for the loop to send when the
// socket can take them. Files go out through io.Copy(conn, file): a
// connection that can send them better (sendfile(2)) implements
// io.ReaderFrom, as *net.TCPConn does.
type Conn interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

// blocking tells conn that its handler is about to wait for something
// other than the client: a CGI script, which may take seconds. The event
// loop's connections then give the loop to another goroutine, so that the
// wait stalls no other connection. A *net.TCPConn has a goroutine, or the
// whole server, to itself, and need not know.
func blocking(conn Conn) {
	if b, ok := conn.(interface{ blocking() }); ok {
		b.blocking()
	}
}

// serveConn serves one connection, from the first byte to the close: it
// calls handleConnection until that says to close. Each call waits in
// conn.Read for the client's next bytes; in the goroutine mode every
// connection has a goroutine of its own to wait in, in the sequential
// mode the whole server waits.
func (s *server) serveConn(conn net.Conn) {
	s.track(conn, true)
	defer s.track(conn, false)
	var st connState
	for {
		var done bool
		if done, st = s.handleConnection(conn, st); done {
			break
		}
	}
	closeConn(conn)
}

// handleConnection reads once from conn, answers, in order, every request
// that is now complete (a client may send several without waiting:
// pipelining, RFC 9112 §9.3.2), and returns whether to close the
// connection, with the state to pass to the next call. It never waits for
// a whole request: a request's bytes may take many calls to arrive. Only
// st says where the connection stands, so the same function serves the
// three modes: called in a loop (sequential, goroutines) or by an event
// loop when conn has bytes, or its deadline has passed (eventloop).
func (s *server) handleConnection(conn Conn, st connState) (bool, connState) {
	// Deadlines: an idle connection is closed after a while, so that
	// browsers' spare connections don't pile up; and a request must
	// arrive in time, head and then body, or a client sending one byte
	// every few seconds (slowloris) could hold the connection for ever.
	// The idle clock starts with the first call after an answer, and
	// keeps running through calls that read nothing (the event loop's).
	if st.phase == idle && st.deadline.IsZero() {
		st.deadline = time.Now().Add(s.idleTimeout)
	}
	conn.SetReadDeadline(st.deadline)
	// Checked after setting the deadline: shutdown sets stopping, then
	// moves every deadline to now, so one or the other stops us.
	if st.phase == idle && s.stopping.Load() {
		return true, st
	}

	st.buf = slices.Grow(st.buf, readSize)
	n, err := conn.Read(st.buf[len(st.buf):cap(st.buf)])
	st.buf = st.buf[:len(st.buf)+n]

	for {
		if st.phase == idle && len(st.buf) > 0 {
			st.phase, st.deadline = headArrives, time.Now().Add(s.headTimeout)
		}
		req, status := st.nextRequest()
		if st.req != nil && st.phase == headArrives {
			st.phase, st.deadline = bodyArrives, time.Now().Add(s.bodyTimeout)
		}
		if req == nil {
			break
		}
		st.phase, st.deadline = idle, time.Time{}
		if !s.answer(conn, req, status) {
			return true, st
		}
		// A connection of the event loop queues what we write and sends
		// it later. Answer the next pipelined request only once this
		// answer is out, as a blocking write would make us wait: or one
		// small request for a big file, sent again and again, would
		// queue without end.
		if q, ok := conn.(interface{ backlogged() bool }); ok && q.backlogged() {
			break
		}
	}

	// Shutdown moves every read deadline to now, to wake the idle
	// connections. One in the middle of a request was woken too early:
	// its request is in flight, so let it arrive, by its own deadline.
	if errors.Is(err, os.ErrDeadlineExceeded) && st.phase != idle && s.stopping.Load() && time.Now().Before(st.deadline) {
		return false, st
	}
	if err != nil {
		// Out of time in the middle of a request: tell the client, 408
		// Request Timeout (RFC 9110 §15.5.9). An idle connection, or one
		// the client closed, just closes.
		if errors.Is(err, os.ErrDeadlineExceeded) && st.phase != idle && !s.stopping.Load() {
			req := st.req
			if req == nil {
				req = &request{line: firstLine(st.buf)}
			}
			s.answer(conn, req, 408)
		}
		return true, st
	}
	// A client that sent "Expect: 100-continue" waits for our go-ahead
	// before it sends the body (RFC 9110 §10.1.1). HTTP/1.0 clients
	// don't know 100 and must not get it.
	if st.req != nil && !st.body.continued && len(st.req.header["expect"]) > 0 && st.req.version == "HTTP/1.1" {
		st.body.continued = true
		if send(conn, []byte("HTTP/1.1 100 Continue\r\n\r\n")) != nil {
			return true, st
		}
	}
	return false, st
}

// answer answers one request, or, when status is not 0, the error that
// stopped us from reading it, logs it, and reports whether the connection
// can take another request.
func (s *server) answer(conn Conn, req *request, status int) (keep bool) {
	w := &response{
		conn:      conn,
		req:       req,
		noBody:    req.method == "HEAD",
		keepAlive: status == 0 && req.keepAlive && !s.stopping.Load(),
	}
	// A bug in one handler must not take the server down with every
	// connection it holds: recover, answer 500 if the client has not had
	// a byte of the response yet, and close this connection, whose state
	// we can no longer trust. The stack goes to the console for the
	// programmer.
	defer func() {
		if v := recover(); v != nil {
			logPanic(req, v)
			if w.status == 0 {
				w.keepAlive = false
				sendError(w, 500)
			}
			keep = false
		}
		logRequest(conn, req, w.status)
	}()
	if status != 0 {
		sendError(w, status)
		return false
	}
	s.serve(w, req)
	w.finish()
	return w.keepAlive && w.err == nil
}

// closeConn closes a connection gently. Closing a socket that still has
// unread bytes (a body we refused, requests sent after the one that
// failed) makes the kernel send a reset, and a reset can make the client's
// kernel drop our response before the client has read it. So first say
// we are done writing (FIN), then read and throw away what still comes,
// for a moment, then close.
func closeConn(conn net.Conn) {
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.CloseWrite()
		tcp.SetReadDeadline(time.Now().Add(lingerTime))
		io.Copy(io.Discard, io.LimitReader(tcp, lingerMax))
	}
	conn.Close()
}
