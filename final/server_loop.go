//go:build linux

package main

// The event loop: one goroutine serves many connections (and we run one
// such loop per core). It asks the kernel, with epoll(7), which sockets
// are ready, and calls handleConnection for a connection only when that
// call will not wait: bytes have arrived, or its deadline has passed. Between two calls, the
// connection's connState is all there is to remember.

import (
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const eventLoopSupported = true

const (
	// maxEvents is how many ready sockets one epoll_wait can report.
	maxEvents = 256
	// maxAccepts is how many new connections we take in a row before we
	// look at the ones we have.
	maxAccepts = 64
)

// eventLoop is the loop's state. Only the goroutine that is the loop at
// the moment touches it; see blocking for how that can change.
type eventLoop struct {
	s      *server
	epfd   int      // the epoll instance: the set of sockets we watch
	ln     *os.File // our copy of the listening socket
	lfd    int
	wake   [2]int          // a pipe: a byte in wake[1] ends epoll_wait
	conns  map[int]*evConn // by file descriptor
	todo   []*evConn       // connections whose handler is to be called
	events []syscall.EpollEvent
	junk   []byte // where lingering connections' bytes go

	acceptAt    time.Time // accepting is paused until then, after an error
	acceptDelay time.Duration
	stopAt      time.Time     // when shutdown began
	done        chan struct{} // closed when the loop has ended

	loops []*eventLoop // all the loops, this one too: see deal
	count atomic.Int64 // how many connections this loop has, for deal

	mu    sync.Mutex
	back  []*evConn // connections whose handler finished off the loop
	dealt []newConn // connections another loop accepted for this one
	ended bool
}

// newConn is a connection accepted, not yet taken in by a loop.
type newConn struct {
	fd int
	sa syscall.Sockaddr
}

// evConn is a connection of the event loop, and the Conn its handler is
// given. Its socket is non-blocking: Read returns what has arrived, or
// nothing, and never waits; Write appends to the output queue, which the
// loop sends when the socket can take it.
type evConn struct {
	l      *eventLoop
	fd     int
	remote net.Addr
	local  net.Addr

	st            connState // what the last call of the handler left
	readable      bool      // epoll said there are bytes (or an EOF) to read
	readDeadline  time.Time // as the handler set it
	out           []outPiece
	spare         []byte    // a sent piece's buffer, for the next one
	writeDeadline time.Time // the output queue must make progress by then
	wrote         bool      // the last call wrote: call it again once that has gone out
	done          bool      // the handler said to close: send out, then close
	lingerUntil   time.Time // closing: read and throw away until then
	lingered      int
	queued        bool   // in l.todo
	offLoop       bool   // its handler is running on a goroutine of its own
	closed        bool   // its socket is closed
	events        uint32 // what epoll watches it for; 0: not registered
	err           error  // off the loop: the first write error
}

// outPiece is one piece of the output queue: bytes, or part of a file.
type outPiece struct {
	data   []byte // the bytes to write, of which sent are written; nil for a file:
	sent   int
	file   int      // a copy (dup) of the file's descriptor: the handler closes its own
	src    *os.File // the handler's file, to recognise its next piece
	off, n int64    // the part of the file still to send
}

// eventLoop serves ln with one loop per processor until shutdown, and
// then waits, for shutdownGrace at most, for the requests in flight.
//
// One loop is one goroutine, and a goroutine runs on one core at a time:
// a single loop leaves the other cores idle. So, as nginx runs one worker
// process per core, we run one loop per core (GOMAXPROCS), each with its
// own epoll set and its own connections, all watching the one listening
// socket: a new connection wakes them, one accepts it, the others find
// nothing (EAGAIN) and go back to sleep.
func (s *server) eventLoop(ln net.Listener) {
	var loops []*eventLoop
	for range runtime.GOMAXPROCS(0) {
		l, err := newEventLoop(s, ln)
		if err != nil {
			fmt.Fprintln(os.Stderr, "eventloop:", err)
			break
		}
		loops = append(loops, l)
	}
	s.mu.Lock()
	for _, l := range loops {
		l.loops = loops
		s.wakers = append(s.wakers, l.wakeUp)
	}
	s.mu.Unlock()
	for _, l := range loops {
		go l.run()
	}
	for _, l := range loops {
		<-l.done
	}
}

func newEventLoop(s *server, ln net.Listener) (*eventLoop, error) {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return nil, fmt.Errorf("needs a TCP listener, not %T", ln)
	}
	// File gives us a copy of the socket, dup(2), ours to use as we
	// like: Go's own poller keeps the original.
	f, err := tl.File()
	if err != nil {
		return nil, err
	}
	l := &eventLoop{s: s, ln: f, lfd: int(f.Fd()), conns: map[int]*evConn{},
		events: make([]syscall.EpollEvent, maxEvents), junk: make([]byte, readSize), done: make(chan struct{})}
	if err := syscall.SetNonblock(l.lfd, true); err != nil {
		return nil, err
	}
	if l.epfd, err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC); err != nil {
		return nil, err
	}
	if err := syscall.Pipe2(l.wake[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		return nil, err
	}
	for _, fd := range []int{l.lfd, l.wake[0]} {
		if err := l.ctl(syscall.EPOLL_CTL_ADD, fd, syscall.EPOLLIN); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// ctl adds a descriptor to the epoll set, changes what it is watched for,
// or takes it out.
//
// We use epoll level-triggered (the default): as long as a socket has
// bytes to read, every epoll_wait reports it again. The handler reads at
// most readSize bytes a call, and whatever it left is reported next time.
// Edge-triggered (EPOLLET) reports only the change from "nothing" to
// "something": a loop using it must read until EAGAIN every time, or a
// connection with bytes left over is never reported again.
func (l *eventLoop) ctl(op, fd int, events uint32) error {
	ev := syscall.EpollEvent{Events: events, Fd: int32(fd)}
	return syscall.EpollCtl(l.epfd, op, fd, &ev)
}

// run is the loop: call the handlers that can make progress, then sleep in
// epoll_wait until a socket is ready or the nearest deadline.
func (l *eventLoop) run() {
	for {
		for len(l.todo) > 0 {
			c := l.todo[0]
			l.todo = l.todo[1:]
			c.queued = false
			if !c.closed && !l.call(c) {
				return // c's handler went off the loop, with this goroutine
			}
		}
		now := time.Now()
		if l.s.stopping.Load() && l.stopAt.IsZero() {
			l.stop(now)
		}
		if !l.stopAt.IsZero() && (len(l.conns) == 0 || now.Sub(l.stopAt) > shutdownGrace) {
			l.end()
			return
		}
		timeout := l.timers(now)
		if len(l.todo) > 0 {
			continue
		}
		n, err := syscall.EpollWait(l.epfd, l.events, timeout)
		if err != nil && err != syscall.EINTR { // EINTR: a signal came, Go's own included
			fmt.Fprintln(os.Stderr, "eventloop: epoll_wait:", err)
			l.end()
			return
		}
		for _, ev := range l.events[:max(n, 0)] {
			switch fd := int(ev.Fd); fd {
			case l.lfd:
				l.accept(now)
			case l.wake[0]:
				l.woken()
			default:
				if c := l.conns[fd]; c != nil && !c.offLoop {
					l.ready(c)
				}
			}
		}
	}
}

// call runs c's handler once, with the state its last call returned, and
// reports whether this goroutine is still the loop.
func (l *eventLoop) call(c *evConn) bool {
	c.done, c.st = l.s.handleConnection(c, c.st)
	if c.offLoop {
		// The handler called blocking: another goroutine is the loop now,
		// and this one just c's. Send what is left, hand c back, leave.
		c.finishOffLoop()
		return false
	}
	l.send(c)
	return true
}

// schedule puts c on the list of connections whose handler is to be called.
func (l *eventLoop) schedule(c *evConn) {
	if !c.queued {
		c.queued = true
		l.todo = append(l.todo, c)
	}
}

// ready handles what epoll reported for c. It watches c for one thing at
// a time (see watch), so it knows which.
func (l *eventLoop) ready(c *evConn) {
	switch {
	case !c.lingerUntil.IsZero():
		l.drain(c)
	case len(c.out) > 0:
		l.send(c) // writable, or an error that the write will report
	default:
		c.readable = true
		l.schedule(c)
	}
}

// send writes what it can of c's output queue, then decides what c waits
// for next: the socket to take more, the handler to be called again, or
// the end.
func (l *eventLoop) send(c *evConn) {
	// The handler may have moved on to a request's head or body: the
	// deadline its next call will set is in its state. Wake it then.
	if !c.st.deadline.IsZero() {
		c.readDeadline = c.st.deadline
	}
	progress, err := c.flush()
	if err != nil {
		l.close(c)
		return
	}
	switch {
	case len(c.out) > 0:
		// The client reads slower than we write. It may, but a client
		// that stops reading for writeTimeout is dropped.
		if progress || c.writeDeadline.IsZero() {
			c.writeDeadline = time.Now().Add(writeTimeout)
		}
	case c.done:
		l.linger(c)
	case c.wrote:
		// The answers are out: call the handler again, so that it starts
		// the idle clock now, as its next blocking call would.
		c.wrote, c.writeDeadline = false, time.Time{}
		l.schedule(c)
	}
	l.watch(c)
}

// watch tells epoll what c waits for now: to read, or to write. Never
// both: while answers wait to go out we read no new requests, or a client
// that sends requests and never reads the answers could fill our memory.
// The client's own send buffer fills instead, and it has to wait (back
// pressure).
func (l *eventLoop) watch(c *evConn) {
	want := uint32(syscall.EPOLLIN)
	switch {
	case c.closed:
		return
	case c.offLoop:
		// Out of the set: epoll reports errors and hang-ups even when
		// asked for nothing, and nobody would read them.
		want = 0
	case len(c.out) > 0:
		want = syscall.EPOLLOUT
	}
	op := syscall.EPOLL_CTL_MOD
	switch {
	case want == c.events:
		return
	case c.events == 0:
		op = syscall.EPOLL_CTL_ADD
	case want == 0:
		op = syscall.EPOLL_CTL_DEL
	}
	if err := l.ctl(op, c.fd, want); err != nil {
		fmt.Fprintln(os.Stderr, "eventloop: epoll_ctl:", err)
		l.close(c)
		return
	}
	c.events = want
}

// timers calls the handlers of the connections whose read deadline has
// passed (it will answer 408, or close), closes those that stopped
// reading our answers or lingered long enough, and returns how long
// epoll_wait may sleep: until the nearest deadline, in milliseconds (-1:
// until a socket is ready). A real server keeps its deadlines in a heap
// or a timer wheel; looking at every connection is fine for a lesson.
func (l *eventLoop) timers(now time.Time) int {
	var next time.Time
	soonest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if !l.acceptAt.IsZero() {
		if now.Before(l.acceptAt) {
			soonest(l.acceptAt)
		} else if l.stopAt.IsZero() && l.ctl(syscall.EPOLL_CTL_ADD, l.lfd, syscall.EPOLLIN) == nil {
			l.acceptAt = time.Time{}
		}
	}
	if !l.stopAt.IsZero() {
		soonest(l.stopAt.Add(shutdownGrace))
	}
	for _, c := range l.conns {
		if c.offLoop || c.queued {
			continue
		}
		reading := c.lingerUntil.IsZero() && len(c.out) == 0
		deadline := c.readDeadline
		switch {
		case !c.lingerUntil.IsZero():
			deadline = c.lingerUntil
		case len(c.out) > 0:
			deadline = c.writeDeadline
		}
		switch {
		case deadline.IsZero():
		case now.Before(deadline):
			soonest(deadline)
		case reading:
			l.schedule(c) // its Read will say the deadline has passed
		default:
			l.close(c)
		}
	}
	if next.IsZero() {
		return -1
	}
	return int((next.Sub(now) + time.Millisecond - 1) / time.Millisecond)
}

// accept takes the new connections waiting on the listening socket.
func (l *eventLoop) accept(now time.Time) {
	for range maxAccepts {
		// accept4 makes the new socket non-blocking (and close-on-exec:
		// a CGI script must not inherit it) in the same system call.
		fd, sa, err := syscall.Accept4(l.lfd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		switch err {
		case nil:
		case syscall.EAGAIN:
			return // no more for now
		case syscall.EINTR, syscall.ECONNABORTED:
			continue
		default:
			// Too many open files, say: stop watching the listener for a
			// while, longer each time, as accept in main.go sleeps.
			fmt.Fprintln(os.Stderr, "accept:", err)
			l.acceptDelay = min(max(2*l.acceptDelay, 5*time.Millisecond), time.Second)
			l.acceptAt = now.Add(l.acceptDelay)
			l.ctl(syscall.EPOLL_CTL_DEL, l.lfd, 0)
			return
		}
		l.acceptDelay = 0
		// As Go does for its own TCP connections: send small writes at
		// once, rather than wait to fill a packet (Nagle's algorithm).
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		l.deal(newConn{fd, sa})
	}
}

// deal gives a new connection to the loop that has the fewest. Every
// loop is woken by a new connection, and the first awake accepts all that
// wait: left at that, a burst of 32 connections could all land on one
// loop (we saw 31 to 1), which then does all the work on one core while
// the others sleep. netty deals them round-robin; gnet can deal to the
// loop with the fewest, as here.
func (l *eventLoop) deal(nc newConn) {
	to := l
	for _, o := range l.loops {
		if o.count.Load() < to.count.Load() {
			to = o
		}
	}
	to.count.Add(1)
	if to == l {
		l.take(nc)
		return
	}
	to.mu.Lock()
	defer to.mu.Unlock()
	if to.ended {
		syscall.Close(nc.fd)
		return
	}
	to.dealt = append(to.dealt, nc)
	syscall.Write(to.wake[1], []byte{0})
}

// take starts serving a new connection.
func (l *eventLoop) take(nc newConn) {
	// The request often arrives with the connection: try to read at once.
	c := &evConn{l: l, fd: nc.fd, remote: tcpAddr(nc.sa), readable: true}
	l.conns[nc.fd] = c
	l.watch(c)
	l.schedule(c)
}

// linger starts to close c gently, as closeConn does: FIN, then read and
// throw away what still comes, for lingerTime at most.
func (l *eventLoop) linger(c *evConn) {
	syscall.Shutdown(c.fd, syscall.SHUT_WR)
	c.lingerUntil = time.Now().Add(lingerTime)
	l.drain(c)
}

// drain reads and throws away what a closing connection has sent, and
// closes it at the client's EOF, or after lingerMax bytes.
func (l *eventLoop) drain(c *evConn) {
	for !c.closed {
		n, err := syscall.Read(c.fd, l.junk)
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			return
		case err != nil || n == 0 || c.lingered+n > lingerMax:
			l.close(c)
		default:
			c.lingered += n
		}
	}
}

// close closes c's socket, which also takes it out of the epoll set.
func (l *eventLoop) close(c *evConn) {
	c.closed = true
	delete(l.conns, c.fd)
	l.count.Add(-1)
	c.closeFiles()
	syscall.Close(c.fd)
}

// stop begins the shutdown: no new connections; and, as shutdown moves
// the goroutines' read deadlines to now, call the handler of every
// connection waiting for a request: one between requests closes.
func (l *eventLoop) stop(now time.Time) {
	l.stopAt = now
	l.ctl(syscall.EPOLL_CTL_DEL, l.lfd, 0)
	l.ln.Close()
	l.lfd = -1 // its number may be reused
	for _, c := range l.conns {
		if !c.offLoop && c.lingerUntil.IsZero() && len(c.out) == 0 {
			l.schedule(c)
		}
	}
}

// end closes everything, but the connections still off the loop: each
// closes its own when its handler returns.
func (l *eventLoop) end() {
	l.mu.Lock()
	l.ended = true
	// deal picks the loop with the fewest connections: an ended loop
	// must never look like that one.
	l.count.Store(math.MaxInt64 / 2)
	for _, nc := range l.dealt {
		syscall.Close(nc.fd)
	}
	// Connections handed back, whose handler finished off the loop after
	// the last woken: nobody else will close them.
	for _, c := range l.back {
		c.closeFiles()
		syscall.Close(c.fd)
	}
	l.dealt, l.back = nil, nil
	l.mu.Unlock()
	for _, c := range l.conns {
		if !c.offLoop {
			l.close(c)
		}
	}
	l.ln.Close()
	syscall.Close(l.epfd)
	syscall.Close(l.wake[0])
	syscall.Close(l.wake[1])
	close(l.done)
}

// wakeUp ends the loop's epoll_wait, from any goroutine: shutdown calls
// it. A byte in the pipe makes its read end readable.
func (l *eventLoop) wakeUp() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ended {
		syscall.Write(l.wake[1], []byte{0}) // full (EAGAIN): it is awake anyway
	}
}

// woken empties the wake-up pipe and takes back the connections whose
// handler has finished off the loop.
func (l *eventLoop) woken() {
	for {
		if n, _ := syscall.Read(l.wake[0], l.junk); n <= 0 {
			break
		}
	}
	l.mu.Lock()
	back, dealt := l.back, l.dealt
	l.back, l.dealt = nil, nil
	l.mu.Unlock()
	for _, nc := range dealt {
		l.take(nc)
	}
	for _, c := range back {
		c.offLoop = false
		if c.err != nil {
			l.close(c)
			continue
		}
		l.send(c)
	}
}

// blocking is called by c's handler before it waits for a CGI script. It
// runs on the loop's goroutine, which must not wait: so another goroutine
// becomes the loop, and this one stays with c until its handler returns
// (finishOffLoop). Go's scheduler does the same for a goroutine that
// enters a blocking system call: it hands the goroutine's processor to
// another thread.
func (c *evConn) blocking() {
	if c.offLoop {
		return
	}
	c.offLoop = true
	c.l.watch(c) // out of the epoll set: the new loop must leave c alone
	// Off the loop, writes may wait: make the socket blocking, with a
	// timeout on each write (SO_SNDTIMEO), as writeTimeout in response.go.
	syscall.SetNonblock(c.fd, false)
	tv := syscall.NsecToTimeval(int64(writeTimeout))
	syscall.SetsockoptTimeval(c.fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv)
	go c.l.run() // last: from here on, the loop is that goroutine's
}

// finishOffLoop sends the rest of c's output, then hands c back to the
// loop and wakes it.
func (c *evConn) finishOffLoop() {
	c.flushOffLoop()
	syscall.SetNonblock(c.fd, true)
	l := c.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		c.closeFiles()
		syscall.Close(c.fd)
		return
	}
	l.back = append(l.back, c)
	syscall.Write(l.wake[1], []byte{0})
}

// Read returns what has arrived, without waiting: the bytes, io.EOF when
// the client has closed, or (0, nil) when there is nothing yet, which
// io.Reader allows and which means "nothing happened". The read(2)
// itself, on a non-blocking socket, fails with EAGAIN rather than wait.
//
// Past the deadline it fails, as a net.Conn's Read does, with one
// exception: a connection idle between requests first looks whether the
// next request has come. The loop may come to a connection late, busy
// with others, and find its idle deadline passed when the client's
// request has been waiting in the socket all along: closing then would
// lose a request the client sent in time.
func (c *evConn) Read(p []byte) (int, error) {
	late := !c.readDeadline.IsZero() && !time.Now().Before(c.readDeadline)
	switch {
	case late && c.st.phase != idle:
		return 0, os.ErrDeadlineExceeded // a head or body too slow: 408
	case !c.readable && !late:
		return 0, nil // epoll has said nothing: don't even ask
	}
	c.readable = false // if bytes are left, epoll_wait says so again
	for {
		n, err := syscall.Read(c.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN && late:
			return 0, os.ErrDeadlineExceeded
		case err == syscall.EAGAIN:
			return 0, nil
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Write queues p, to be sent once the handler has returned: the loop never
// waits for a client to read. Off the loop it sends at once, and waits.
func (c *evConn) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.wrote = true
	if last := len(c.out) - 1; last >= 0 && c.out[last].data != nil {
		c.out[last].data = append(c.out[last].data, p...)
	} else {
		c.out = append(c.out, outPiece{data: append(c.spare, p...)})
		c.spare = nil
	}
	if err := c.flushOffLoop(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// ReadFrom is how io.Copy(conn, file) sends a file, as it does with a
// *net.TCPConn. A small file is read into the queue; of a bigger one,
// only the descriptor goes in the queue, and flush sends it with
// sendfile(2) as the socket takes it.
func (c *evConn) ReadFrom(r io.Reader) (int64, error) {
	lr, ok := r.(*io.LimitedReader)
	var f *os.File
	if ok {
		f, ok = lr.R.(*os.File)
	}
	// Up to smallFile, read it into the queue, as serveFile does; a
	// bigger one is never whole in our memory.
	if !ok || lr.N <= smallFile {
		return io.Copy(writerOnly{c}, r)
	}
	if c.err != nil {
		return 0, c.err
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	n := lr.N
	// sendFile hands a big file over a piece at a time; pieces of one
	// file that follow each other make one entry, one descriptor, or a
	// huge file would hold a descriptor for every piece at once.
	if last := len(c.out) - 1; last >= 0 && c.out[last].src == f && c.out[last].off+c.out[last].n == off {
		c.out[last].n += n
	} else {
		dup, err := dupFile(f)
		if err != nil {
			return 0, err
		}
		c.out = append(c.out, outPiece{file: dup, src: f, off: off, n: n})
	}
	c.wrote = true
	// The bytes count as read, as if io.Copy had read them.
	lr.N = 0
	if _, err := f.Seek(n, io.SeekCurrent); err != nil {
		return 0, err
	}
	return n, c.flushOffLoop()
}

// backlogged reports whether answers wait in the output queue: the handler
// then answers no further pipelined request until they are out.
func (c *evConn) backlogged() bool { return len(c.out) > 0 }

// writerOnly hides evConn's ReadFrom from io.Copy, which would call it
// again.
type writerOnly struct{ io.Writer }

// dupFile returns a copy of f's descriptor, which stays open when the
// handler closes f. Close-on-exec, so that no CGI script inherits it.
func dupFile(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	dup, errno := -1, syscall.Errno(0)
	err = rc.Control(func(fd uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		dup, errno = int(r), e
	})
	if err == nil && errno != 0 {
		err = errno
	}
	return dup, err
}

// flush writes the output queue until it is empty or the socket takes no
// more: write(2) on a non-blocking socket whose send buffer is full fails
// with EAGAIN, and one with a little room writes a part of what it was
// given (a partial write). The rest stays queued; the loop asks epoll to
// say when the socket is writable again (EPOLLOUT).
func (c *evConn) flush() (progress bool, err error) {
	for len(c.out) > 0 {
		p := &c.out[0]
		var n int
		if p.data != nil {
			n, err = syscall.Write(c.fd, p.data[p.sent:])
		} else {
			n, err = syscall.Sendfile(c.fd, p.file, &p.off, int(min(p.n, 1<<30)))
		}
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return progress, nil
		case err != nil:
			return progress, err
		case n == 0 && p.data == nil:
			return progress, io.ErrUnexpectedEOF // the file got shorter under us
		}
		progress = true
		if p.data != nil {
			if p.sent += n; p.sent < len(p.data) {
				continue
			}
			c.spare = p.data[:0]
		} else {
			if p.n -= int64(n); p.n > 0 {
				continue
			}
			syscall.Close(p.file)
		}
		c.out = c.out[1:]
	}
	c.out = nil
	return progress, nil
}

// flushOffLoop, off the loop, sends the whole queue, waiting as needed.
// On the loop it does nothing: the loop sends when the handler returns.
func (c *evConn) flushOffLoop() error {
	if !c.offLoop || c.err != nil {
		return c.err
	}
	_, err := c.flush()
	if err == nil && len(c.out) > 0 {
		err = os.ErrDeadlineExceeded // EAGAIN on a blocking socket: SO_SNDTIMEO passed
	}
	c.err = err
	return err
}

// closeFiles closes the files still queued.
func (c *evConn) closeFiles() {
	for _, p := range c.out {
		if p.data == nil {
			syscall.Close(p.file)
		}
	}
	c.out = nil
}

func (c *evConn) RemoteAddr() net.Addr { return c.remote }

func (c *evConn) LocalAddr() net.Addr {
	if c.local == nil {
		sa, _ := syscall.Getsockname(c.fd)
		c.local = tcpAddr(sa)
	}
	return c.local
}

// SetReadDeadline sets the deadline that Read checks, and that the loop
// wakes up for.
func (c *evConn) SetReadDeadline(t time.Time) error {
	c.readDeadline = t
	return nil
}

// SetWriteDeadline does nothing: the loop gives the output queue
// writeTimeout from its last progress, and off the loop each write has
// SO_SNDTIMEO.
func (c *evConn) SetWriteDeadline(t time.Time) error { return nil }

// tcpAddr turns an address as the system calls give it into a Go one.
func tcpAddr(sa syscall.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: net.IPv4(a.Addr[0], a.Addr[1], a.Addr[2], a.Addr[3]), Port: a.Port}
	case *syscall.SockaddrInet6:
		return &net.TCPAddr{IP: append(net.IP(nil), a.Addr[:]...), Port: a.Port}
	}
	return &net.TCPAddr{}
}
