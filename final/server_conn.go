package main

import (
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"syscall"
	"time"
)

const (
	// readSize is the size of an event loop's read buffer, and the most
	// a full buffer grows by at once.
	readSize = 16 << 10
	// lingerTimeout and lingerTime bound a lingering close (closeConn):
	// after we have decided to close, we read and throw away what the
	// client still sends, until it has sent nothing for lingerTimeout, or
	// for lingerTime in all (nginx's lingering_timeout and lingering_time).
	lingerTimeout = time.Second
	lingerTime    = 30 * time.Second
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
	head     headScan  // how far the head now arriving has been looked at
	req      *request  // a request whose head is read and whose body is not
	body     bodyState // where that body stands
	phase    phase
	deadline time.Time // when the phase ends: the idle wait, or the head or body now arriving
	unsent   int       // idle: what the kernel still held of our answers when we last looked
	moved    time.Time // when we saw that go down (stillSending)
}

// Conn is what handleConnection, and the response it writes, need of a
// connection. The first five methods are net.Conn's. The others are the
// contract between the handler and the serving mode, which each kind of
// connection keeps in its own way:
//
//   - netConn, in the sequential and goroutine modes: a *net.TCPConn,
//     whose Read waits for bytes and whose Write waits for the client to
//     take them; it has a goroutine, or the whole server, to itself;
//   - evConn, in the event loops (server_loopconn.go): its Read returns
//     what has arrived, perhaps nothing (0, nil), and its Write sends what
//     the socket takes now and queues the rest, for the loop to send when
//     the socket can take it.
type Conn interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	SetReadDeadline(t time.Time) error
	LocalAddr() net.Addr
	RemoteAddr() net.Addr

	// sendFile sends the next n bytes of f, from its current offset, with
	// sendfile(2): from the file cache to the socket, without passing
	// through this program.
	sendFile(f *os.File, n int64) error
	// blocking says that the handler is about to wait for something other
	// than the client: a CGI script, which may take seconds. An event
	// loop's connection then gives the loop to another goroutine, so that
	// the wait stalls no other connection.
	blocking()
	// backlogged reports whether answers written are still waiting to go
	// out: handleConnection then answers no further pipelined request
	// until they have.
	backlogged() bool
	// unsent reports how many bytes of what we wrote the kernel still
	// holds: not yet sent, or sent and not yet acknowledged by the
	// client's TCP (0 where the system cannot tell).
	unsent() int
	// abort says that the connection is to close with a reset, not a
	// FIN: the client will not get all we sent it (closeConn).
	abort()
	// log writes a line of the access log to the console (stdout).
	log(line []byte)
	// readBuffer returns an empty buffer to read a new request into.
	readBuffer() []byte
}

// netConn is the Conn of the sequential and goroutine modes.
type netConn struct {
	net.Conn
	sendTimeout time.Duration // see keepSending
	failed      bool          // a write failed: closeConn resets the connection
	buf         []byte        // its read buffer (readBuffer)
}

// readBuffer returns the connection's own read buffer, made the first
// time. A goroutine waits for the next request in Read, so its buffer
// waits with it: 4 KiB, as net/http's, and not readSize, for most
// requests are small (a longer head or body makes it grow, for as long
// as that request is in flight).
func (c *netConn) readBuffer() []byte {
	if c.buf == nil {
		c.buf = make([]byte, 0, 4<<10)
	}
	return c.buf[:0]
}

// Write sends p, for as long as the client keeps taking it (keepSending).
func (c *netConn) Write(p []byte) (int, error) {
	sent := 0
	err := c.keepSending(func() (int64, error) {
		n, err := c.Conn.Write(p[sent:])
		sent += n
		return int64(n), err
	})
	return sent, err
}

// sendFile: io.Copy from an *os.File (here inside an io.LimitedReader) to
// a *net.TCPConn hands the work to the kernel, sendfile(2), which moves
// the file's offset along as it sends.
func (c *netConn) sendFile(f *os.File, n int64) error {
	return c.keepSending(func() (int64, error) {
		sent, err := io.Copy(c.Conn, io.LimitReader(f, n))
		if n -= sent; err == nil && n > 0 {
			err = io.ErrUnexpectedEOF // the file got shorter under us
		}
		return sent, err
	})
}

// keepSending calls send, which writes what is left of an answer, until
// all of it has gone. A client may read as slowly as it likes; what it
// must not do is take nothing at all for sendTimeout (nginx's
// send_timeout, a limit on lack of progress). A deadline on the whole
// write would be a minimum speed instead: 1 MiB in 30 s is 35 KB/s, more
// than a phone on a bad line gets. So each call gets a quarter of
// sendTimeout; one cut off by its deadline after moving some bytes was
// progress, and send goes on with the rest. (Calling again also sees
// progress that the kernel would not wake us for: a full send buffer of
// 4 MiB is reported writable only once a third of it is free.)
func (c *netConn) keepSending(send func() (int64, error)) error {
	for moved := time.Now(); ; {
		c.SetWriteDeadline(time.Now().Add(min(c.sendTimeout/4, c.sendTimeout-time.Since(moved))))
		n, err := send()
		if n > 0 {
			moved = time.Now()
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(moved) >= c.sendTimeout {
			c.failed = true
			return err
		}
	}
}

// unsent asks the kernel how much of what we wrote it still holds.
func (c *netConn) unsent() int {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return 0
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	rc.Control(func(fd uintptr) { n = unsentBytes(fd) })
	return n
}

// abort: closeConn will reset the connection.
func (c *netConn) abort() { c.failed = true }

// log writes the line at once: a system call per request.
func (*netConn) log(line []byte) { os.Stdout.Write(line) }

// blocking: the connection's goroutine may wait, it has nothing else to do.
func (*netConn) blocking() {}

// backlogged: never, as Write returns once the bytes are out.
func (*netConn) backlogged() bool { return false }

// handle serves one connection, from the first byte to the close: the
// stages' handle, which read one request and answered it. Here it calls
// handleConnection until that says to close, and each call reads once and
// answers every request that read completed. The step has a name of its
// own (the homework's) because it is what an event loop calls, whenever a
// socket is ready, instead of this loop: handle is how the sequential and
// goroutine modes drive it, waiting in conn.Read between two calls.
func (s *server) handle(conn net.Conn) {
	s.track(conn, true)
	defer s.track(conn, false)
	c := &netConn{Conn: conn, sendTimeout: s.sendTimeout}
	var st connState
	for {
		var done bool
		if done, st = s.handleConnection(c, st); done {
			break
		}
	}
	s.closeConn(c)
}

// handleConnection reads once from conn, answers, in order, every request
// that is now complete (a client may send several without waiting:
// pipelining, RFC 9112 §9.3.2), and returns whether to close the
// connection, with the state to pass to the next call. It never waits for
// a whole request: a request's bytes may take many calls to arrive. Only
// st says where the connection stands, so the same function serves every
// mode: called in a loop (handle) or by an event loop when conn has bytes,
// or its deadline has passed.
func (s *server) handleConnection(conn Conn, st connState) (bool, connState) {
	// Deadlines: an idle connection is closed after a while, so that
	// browsers' spare connections don't pile up; and a request must
	// arrive in time, head and then body, or a client sending one byte
	// every few seconds (slowloris) could hold the connection for ever.
	// The idle clock starts with the first call after an answer, and
	// keeps running through calls that read nothing (the event loop's).
	if st.phase == idle && st.deadline.IsZero() {
		st.deadline = time.Now().Add(s.idleTimeout)
		st.unsent, st.moved = 0, time.Time{}
	}
	conn.SetReadDeadline(st.deadline)
	// Checked after setting the deadline: shutdown sets stopping, then
	// moves every deadline to now, so one or the other stops us.
	if st.phase == idle && s.stopping.Load() {
		return true, st
	}

	// Between two requests, a connection keeps no bytes of its own: a new
	// request is read into the buffer its Conn lends (readBuffer), which
	// grows only when a request fills it: doubled, by 4 KiB at least and
	// readSize at most. A cut head's copy is as long as the head
	// (eventLoop.call); grown by readSize when its next piece fills it, a
	// slowloris's 40 bytes would hold 18 KiB.
	if len(st.buf) == 0 {
		st.buf = conn.readBuffer()
	}
	if len(st.buf) == cap(st.buf) {
		st.buf = slices.Grow(st.buf, min(max(len(st.buf), 4<<10), readSize))
	}
	n, err := conn.Read(st.buf[len(st.buf):cap(st.buf)])
	st.buf = st.buf[:len(st.buf)+n]
	if !s.answerComplete(conn, &st) {
		return true, st
	}

	// Shutdown moves every read deadline to now, to wake the idle
	// connections. One in the middle of a request was woken too early:
	// its request is in flight, so let it arrive, by its own deadline.
	if errors.Is(err, os.ErrDeadlineExceeded) && st.phase != idle && s.stopping.Load() && time.Now().Before(st.deadline) {
		return false, st
	}
	if errors.Is(err, os.ErrDeadlineExceeded) && st.phase == idle && !s.stopping.Load() && s.stillSending(conn, &st) {
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
		if _, err := conn.Write([]byte("HTTP/1.1 100 Continue\r\n\r\n")); err != nil {
			return true, st
		}
	}
	return false, st
}

// stillSending is asked when an idle connection's deadline has passed.
// The idle clock started when our last answer left our hands, for the
// kernel to send; but the kernel may still hold part of it, for a client
// reading slowly (a big file), or one that has not had the time to read
// yet (a busy machine, a 3 MiB answer and a 1 s idle timeout). That
// client is not idle but reading, and closing now would cut it off
// before its next request. So while the kernel's queue goes down, keep
// the connection and look again an idle timeout later; once it is empty,
// the connection is idle from then on. A client that takes nothing for
// sendTimeout is given up on, as by a write (netConn.keepSending).
func (s *server) stillSending(conn Conn, st *connState) bool {
	unsent, now := conn.unsent(), time.Now()
	switch {
	case unsent <= 0 && st.unsent <= 0:
		return false // idle for a whole idle timeout
	case unsent <= 0:
		// The last bytes went since we last looked: the client may be
		// reading them now, and its next request may be on its way.
		st.unsent, st.deadline = 0, now.Add(s.idleTimeout)
		return true
	case st.moved.IsZero() || unsent < st.unsent:
		st.unsent, st.moved = unsent, now
	case now.Sub(st.moved) >= s.sendTimeout:
		conn.abort()
		return false
	}
	st.deadline = now.Add(min(s.idleTimeout, st.moved.Add(s.sendTimeout).Sub(now)))
	return true
}

// answerComplete answers the requests that st.buf now holds whole, and
// moves st's phase and deadline along as a request's head and body
// arrive. It reports false when the connection must close.
func (s *server) answerComplete(conn Conn, st *connState) bool {
	for {
		if st.phase == idle && len(st.buf) > 0 {
			st.phase, st.deadline = headArrives, time.Now().Add(s.headTimeout)
		}
		req, status := st.nextRequest()
		if st.req != nil && st.phase == headArrives {
			st.phase, st.deadline = bodyArrives, time.Now().Add(s.bodyTimeout)
			// A body nobody will read (a POST to a file, answered 405)
			// must still be read, to find where the next request
			// starts; but held, it would cost up to maxBody for nothing,
			// for each of many clients that send one slowly. Drop its
			// bytes as they arrive, those that came with the head too.
			if s.wantsBody != nil && !s.wantsBody(st.req) {
				st.body.drop, st.req.body = true, nil
			}
		}
		if req == nil {
			return true
		}
		st.phase, st.deadline = idle, time.Time{}
		if !s.answer(conn, req, status) {
			return false
		}
		// A connection of the event loop queues what the socket did not
		// take, and sends it later. Answer the next pipelined request
		// only once this answer is out, as a blocking write would make us
		// wait: or one small request for a big file, sent again and
		// again, would queue without end.
		if conn.backlogged() {
			return true
		}
	}
}

// knownMethods are the methods of RFC 9110 §9 and PATCH (RFC 5789). A
// method we know but a path does not allow gets 405; a method we have
// never heard of gets 501 (RFC 9110 §9.1).
var knownMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

// answer answers one request, or, when status is not 0, the error that
// stopped us from reading it, logs it, and reports whether the connection
// can take another request. What concerns the server as a whole is
// answered here; a request for a path goes to the handler.
func (s *server) answer(conn Conn, req *request, status int) (keep bool) {
	w := &response{
		conn:      conn,
		req:       req,
		errorPage: s.errorPage,
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
	switch {
	case status != 0:
		sendError(w, status)
		return false
	case !slices.Contains(knownMethods, req.method):
		sendError(w, 501)
	case req.target == "*":
		// What the server does, for every path (RFC 9110 §9.3.7).
		writeHead(w, 204, "", -1, "Allow: GET, HEAD, POST")
	default:
		s.handler.serveHTTP(w, req)
	}
	w.finish()
	return w.keepAlive && w.err == nil
}

// closeConn closes a connection. Gently, as a rule (RFC 9112 §9.6):
// closing a socket that still has unread bytes (a body we refused,
// requests sent after the one that failed) makes the kernel send a reset,
// and a reset can make the client's kernel drop our response before the
// client has read it; a client still uploading a body too large for us
// would see its write fail ("broken pipe") and never read our 413. So
// first say we are done writing (FIN), then read and throw away what
// still comes (linger), then close.
//
// But when a write failed, or the client took nothing for sendTimeout,
// the client will never get the rest of its answer: say so with a reset.
// SO_LINGER with a time of 0 makes close send RST at once and drop what
// the kernel still queues for the client, megabytes for a big file: a FIN
// would wait behind them, and reach a slow client minutes later looking
// like the end of the answer.
func (s *server) closeConn(c *netConn) {
	if tcp, ok := c.Conn.(*net.TCPConn); ok && c.failed {
		tcp.SetLinger(0)
	} else if ok {
		tcp.CloseWrite()
		s.linger(tcp)
	}
	c.Close()
}

// linger reads and throws away what the client still sends, until it
// closes its side (EOF), or sends nothing for lingerTimeout, or
// lingerTime has passed, or shutdown. It costs a small buffer and the
// time, never memory that grows with what the client sends.
func (s *server) linger(conn *net.TCPConn) {
	junk := make([]byte, 4<<10)
	end := time.Now().Add(lingerTime)
	for {
		next := time.Now().Add(lingerTimeout)
		if next.After(end) {
			next = end
		}
		conn.SetReadDeadline(next)
		// After the deadline, as in handleConnection: shutdown sets
		// stopping, then moves every deadline to now.
		if s.stopping.Load() {
			return
		}
		if _, err := conn.Read(junk); err != nil {
			return
		}
	}
}
