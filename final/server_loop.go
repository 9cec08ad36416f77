//go:build linux || darwin

package main

// The event loops: one goroutine serves many connections (and we run one
// such loop per core). It asks the kernel which sockets are ready, and
// calls handleConnection for a connection only when that call will not
// wait: bytes have arrived, or its deadline has passed. Between two calls,
// the connection's connState is all there is to remember (its evConn is in
// server_loopconn.go). How the loop asks the kernel is behind one small
// interface, poller: epoll(7) on Linux (server_epoll_linux.go), poll(2) on
// any Unix (server_poll.go).

import (
	"fmt"
	"math"
	"net"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// loopsSupported: main accepts -serve eventloop and -serve poll.
const loopsSupported = true

// maxAccepts is how many new connections we take in a row before we look
// at the ones we have.
const maxAccepts = 64

// interest is what a loop waits for on a descriptor.
type interest uint8

const (
	toRead  interest = 1 + iota // bytes to read (on the listener: a connection to accept)
	toWrite                     // room in the socket's send buffer
)

// poller is how a loop asks the kernel which descriptors are ready: the
// one thing in which the epoll loop and the poll loop differ.
type poller interface {
	// watch changes what fd is watched for, from was to want; 0 is
	// nothing, out of the set. A descriptor leaves the set before it is
	// closed.
	watch(fd int, was, want interest) error
	// wait sleeps until a watched descriptor is ready, or timeout
	// milliseconds have passed (-1: no limit), and returns the ready ones.
	wait(timeout int) ([]int, error)
	close()
}

// eventLoop is the loop's state. Only the goroutine that is the loop at
// the moment touches it; see blocking for how that can change.
type eventLoop struct {
	s     *server
	poll  poller   // the set of descriptors we watch, and the wait for them
	ln    *os.File // our copy of the listening socket
	lfd   int
	wake  [2]int          // a pipe: a byte in wake[1] ends the wait
	conns map[int]*evConn // by file descriptor
	todo  []*evConn       // connections whose handler is to be called
	buf   []byte          // the loop's one read buffer: see call
	log   []byte          // the access log's lines, written once a turn (writeLog)

	scanAt      time.Time // when timers looks at the connections' deadlines next
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
	sa unix.Sockaddr
}

// serveLoops serves ln with one loop per processor, each sleeping in a
// poller of its own, until shutdown, and then waits, for shutdownGrace at
// most, for the requests in flight.
//
// One loop is one goroutine, and a goroutine runs on one core at a time:
// a single loop leaves the other cores idle. So, as nginx runs one worker
// process per core, we run one loop per core (GOMAXPROCS), each with its
// own poller and its own connections, all watching the one listening
// socket: a new connection wakes them, one accepts it, the others find
// nothing (EAGAIN) and go back to sleep.
func (s *server) serveLoops(ln net.Listener, newPoller func() (poller, error)) {
	sayDescriptorLimit()
	var loops []*eventLoop
	for range runtime.GOMAXPROCS(0) {
		l, err := newEventLoop(s, ln, newPoller)
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

// sayDescriptorLimit says how many descriptors the process may have open
// (RLIMIT_NOFILE, its soft limit). Each connection is a descriptor, and
// the soft limit is often 1,024 (what select(2) could watch), where an
// event loop means to hold thousands: past it, accept fails with "too
// many open files". Go's runtime has raised it already, as every Go
// program starts, as far as the hard limit (less one) allows, or on macOS
// to kern.maxfilesperproc. We don't call setrlimit(2) ourselves: the
// runtime puts the old limit back for the programs it starts (CGI
// scripts) only as long as nobody has, and macOS refuses the "unlimited"
// that its hard limit often is.
func sayDescriptorLimit() {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err == nil {
		fmt.Fprintf(os.Stderr, "eventloop: up to %d open descriptors (RLIMIT_NOFILE, raised at start; the hard limit is %d)\n", lim.Cur, lim.Max)
	}
}

func newEventLoop(s *server, ln net.Listener, newPoller func() (poller, error)) (*eventLoop, error) {
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
		buf: make([]byte, readSize), done: make(chan struct{})}
	if err := unix.SetNonblock(l.lfd, true); err != nil {
		return nil, err
	}
	if l.poll, err = newPoller(); err != nil {
		return nil, err
	}
	if l.wake, err = wakePipe(); err != nil {
		return nil, err
	}
	for _, fd := range []int{l.lfd, l.wake[0]} {
		if err := l.poll.watch(fd, 0, toRead); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// run is the loop: call the handlers that can make progress, then sleep in
// the poller until a socket is ready or the nearest deadline.
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
		l.writeLog()
		ready, err := l.poll.wait(timeout)
		if err != nil && err != unix.EINTR { // EINTR: a signal came, Go's own included
			fmt.Fprintln(os.Stderr, "eventloop:", err)
			l.end()
			return
		}
		for _, fd := range ready {
			switch fd {
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
//
// A connection between two requests holds no buffer: its handler reads
// a new request into the loop's own (readBuffer), lent for the call: one
// per loop, as the loop handles one connection at a time. If the call
// leaves part of a request in it (a head cut by TCP), c keeps a copy of
// that part, its own until the request is complete.
func (l *eventLoop) call(c *evConn) bool {
	lent := len(c.st.buf) == 0
	c.done, c.st = l.s.handleConnection(c, c.st)
	if c.offLoop {
		// The handler called blocking: another goroutine is the loop now,
		// and this one just c's. Send what is left, hand c back, leave.
		c.finishOffLoop()
		return false
	}
	switch {
	case len(c.st.buf) == 0 || c.done:
		c.st.buf = nil // a closing connection reads no further request
	case lent:
		c.st.buf = slices.Clone(c.st.buf)
	}
	l.writeOut(c)
	return true
}

// writeLog writes the access log's lines of the turn to the console, in
// one system call, before the loop sleeps: a line shows up as soon as the
// loop has nothing else to do, microseconds after its answer.
func (l *eventLoop) writeLog() {
	if len(l.log) > 0 {
		os.Stdout.Write(l.log)
		l.log = l.log[:0]
	}
}

// schedule puts c on the list of connections whose handler is to be called.
func (l *eventLoop) schedule(c *evConn) {
	if !c.queued {
		c.queued = true
		l.todo = append(l.todo, c)
	}
}

// ready handles what the poller reported for c. It watches c for one thing at
// a time (see watch), so it knows which.
func (l *eventLoop) ready(c *evConn) {
	switch {
	case !c.lingerUntil.IsZero():
		l.drain(c)
	case len(c.out) > 0:
		l.writeOut(c) // writable, or an error that the write will report
	default:
		c.readable = true
		l.schedule(c)
	}
}

// writeOut writes what it can of c's output queue, then decides what c
// waits for next: the socket to take more, the handler to be called
// again, or the end.
func (l *eventLoop) writeOut(c *evConn) {
	// The handler may have moved on to a request's head or body: the
	// deadline its next call will set is in its state. Wake it then.
	if !c.st.deadline.IsZero() {
		c.readDeadline = c.st.deadline
	}
	progress, err := c.flush()
	if err != nil {
		l.abort(c)
		return
	}
	switch {
	case len(c.out) > 0:
		// The client reads slower than we write. It may, as slowly as it
		// likes, but one that takes nothing for sendTimeout is given up
		// on (netConn.keepSending). The poller says "writable" only once
		// a third of the socket's send buffer is free, which can take a
		// slow client minutes; so timers also has us try every quarter of
		// sendTimeout, and any byte written is progress.
		now := time.Now()
		if progress || c.moved.IsZero() {
			c.moved = now
		}
		if now.Sub(c.moved) >= l.s.sendTimeout {
			l.abort(c)
			return
		}
		c.writeDeadline = now.Add(min(l.s.sendTimeout/4, c.moved.Add(l.s.sendTimeout).Sub(now)))
	case c.done && c.failed:
		l.abort(c)
		return
	case c.done:
		l.linger(c)
	case c.wrote:
		// The answers are out: call the handler again, so that it starts
		// the idle clock now, as its next blocking call would.
		c.wrote, c.moved = false, time.Time{}
		l.schedule(c)
	}
	l.wakeBy(c.deadline())
	l.watch(c)
}

// watch tells the poller what c waits for now: to read, or to write.
// Never both: while answers wait to go out we read no new requests, or a
// client that sends requests and never reads the answers could fill our
// memory. The client's own send buffer fills instead, and it has to wait
// (back pressure).
func (l *eventLoop) watch(c *evConn) {
	want := toRead
	switch {
	case c.closed:
		return
	case c.offLoop:
		// Out of the set: a poller reports errors and hang-ups even when
		// asked for nothing, and nobody would read them.
		want = 0
	case len(c.out) > 0:
		want = toWrite
	}
	if want == c.watched {
		return
	}
	if err := l.poll.watch(c.fd, c.watched, want); err != nil {
		fmt.Fprintln(os.Stderr, "eventloop:", err)
		l.close(c)
		return
	}
	c.watched = want
}

// timers calls the handlers of the connections whose read deadline has
// passed (it will answer 408, or close), tries again to send to those
// whose answers wait (writeOut gives up on a client that takes nothing),
// closes those that lingered long enough, and returns how long the
// poller may sleep: until the nearest deadline, in milliseconds, an hour
// at most. Never less than 0: poll(2) and epoll_wait(2) read any negative
// timeout as "for ever".
//
// It looks at every connection, which with 10,000 idle ones costs 100 µs:
// too much for every turn of a busy loop. So it looks only once the
// nearest deadline it saw has come (scanAt), or a nearer one set since
// (wakeBy). A real server keeps its deadlines in a heap or a timer wheel,
// and finds the nearest without looking at the others.
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
		} else if l.stopAt.IsZero() && l.poll.watch(l.lfd, 0, toRead) == nil {
			l.acceptAt = time.Time{}
		}
	}
	if !l.stopAt.IsZero() {
		soonest(l.stopAt.Add(shutdownGrace))
	}
	if !now.Before(l.scanAt) {
		l.scanAt = now.Add(time.Hour) // unless a connection has a deadline sooner
		for _, c := range l.conns {
			l.due(c, now)
		}
	}
	soonest(l.scanAt)
	return max(0, int((next.Sub(now)+time.Millisecond-1)/time.Millisecond))
}

// due does what c's deadline asks for, if it has passed, and otherwise
// makes sure that timers looks at c again by then.
func (l *eventLoop) due(c *evConn, now time.Time) {
	if c.offLoop || c.queued {
		return
	}
	reading := c.lingerUntil.IsZero() && len(c.out) == 0
	deadline := c.deadline()
	switch {
	case deadline.IsZero():
	case now.Before(deadline):
		l.wakeBy(deadline)
	case reading:
		l.schedule(c) // its Read will say the deadline has passed
	case len(c.out) > 0:
		l.writeOut(c) // which makes timers look at c again by its new deadline
	default:
		l.close(c)
	}
}

// wakeBy makes timers look at the connections by t.
func (l *eventLoop) wakeBy(t time.Time) {
	if !t.IsZero() && t.Before(l.scanAt) {
		l.scanAt = t
	}
}

// accept takes the new connections waiting on the listening socket.
func (l *eventLoop) accept(now time.Time) {
	for range maxAccepts {
		fd, sa, err := acceptNonblocking(l.lfd)
		switch err {
		case nil:
		case unix.EAGAIN:
			return // no more for now
		case unix.EINTR, unix.ECONNABORTED:
			continue
		default:
			// Too many open files, say: stop watching the listener for a
			// while, longer each time, as the blocking modes' accept sleeps.
			fmt.Fprintln(os.Stderr, "accept:", err)
			l.acceptDelay = min(max(2*l.acceptDelay, 5*time.Millisecond), time.Second)
			l.acceptAt = now.Add(l.acceptDelay)
			l.poll.watch(l.lfd, toRead, 0)
			return
		}
		l.acceptDelay = 0
		// As Go does for its own TCP connections: send small writes at
		// once, rather than wait to fill a packet (Nagle's algorithm).
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
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
		unix.Close(nc.fd)
		return
	}
	to.dealt = append(to.dealt, nc)
	unix.Write(to.wake[1], []byte{0})
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
// throw away what still comes, until the client has sent nothing for
// lingerTimeout, or for lingerTime in all.
func (l *eventLoop) linger(c *evConn) {
	unix.Shutdown(c.fd, unix.SHUT_WR)
	now := time.Now()
	c.lingerEnd = now.Add(lingerTime)
	c.lingerUntil = now.Add(min(lingerTimeout, lingerTime))
	l.wakeBy(c.lingerUntil)
	l.drain(c)
}

// drain reads and throws away what a closing connection has sent, and
// closes it at the client's EOF. A few reads at a time: a client that
// sends as fast as we read must not keep the loop from the others.
func (l *eventLoop) drain(c *evConn) {
	for range 8 {
		n, err := unix.Read(c.fd, l.buf)
		switch {
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			return
		case err != nil || n == 0:
			l.close(c)
			return
		default:
			c.lingerUntil = time.Now().Add(lingerTimeout)
			if c.lingerUntil.After(c.lingerEnd) {
				c.lingerUntil = c.lingerEnd
			}
		}
	}
}

// abort closes c with a reset: closeConn says why. SO_LINGER with a time
// of 0 makes close(2) send RST and drop what is still queued.
func (l *eventLoop) abort(c *evConn) {
	unix.SetsockoptLinger(c.fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	l.close(c)
}

// close takes c out of the poller's set and closes its socket.
func (l *eventLoop) close(c *evConn) {
	l.poll.watch(c.fd, c.watched, 0)
	c.closed = true
	delete(l.conns, c.fd)
	l.count.Add(-1)
	c.closeFiles()
	unix.Close(c.fd)
}

// stop begins the shutdown: no new connections; and, as shutdown moves
// the goroutines' read deadlines to now, call the handler of every
// connection waiting for a request: one between requests closes.
func (l *eventLoop) stop(now time.Time) {
	l.stopAt = now
	l.poll.watch(l.lfd, toRead, 0)
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
	l.writeLog()
	l.mu.Lock()
	l.ended = true
	// deal picks the loop with the fewest connections: an ended loop
	// must never look like that one.
	l.count.Store(math.MaxInt64 / 2)
	for _, nc := range l.dealt {
		unix.Close(nc.fd)
	}
	// Connections handed back, whose handler finished off the loop after
	// the last woken: nobody else will close them.
	for _, c := range l.back {
		c.closeFiles()
		unix.Close(c.fd)
	}
	l.dealt, l.back = nil, nil
	l.mu.Unlock()
	for _, c := range l.conns {
		if !c.offLoop {
			l.close(c)
		}
	}
	l.ln.Close()
	l.poll.close()
	unix.Close(l.wake[0])
	unix.Close(l.wake[1])
	close(l.done)
}

// wakeUp ends the loop's wait, from any goroutine: shutdown calls
// it. A byte in the pipe makes its read end readable.
func (l *eventLoop) wakeUp() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ended {
		unix.Write(l.wake[1], []byte{0}) // full (EAGAIN): it is awake anyway
	}
}

// woken empties the wake-up pipe and takes back the connections whose
// handler has finished off the loop.
func (l *eventLoop) woken() {
	for {
		if n, _ := unix.Read(l.wake[0], l.buf); n <= 0 {
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
			l.abort(c)
			continue
		}
		l.writeOut(c)
	}
}
