//go:build linux || darwin

package main

// The connection of the event loops (server_loop.go), and the Conn its
// handler is given: the same whichever poller the loop sleeps in.

import (
	"io"
	"net"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// evConn is a connection of an event loop. Its socket is non-blocking:
// Read returns what has arrived, or nothing, and never waits; Write sends
// what the socket takes at once and appends the rest to the output queue,
// which the loop sends when the socket can take it.
type evConn struct {
	l      *eventLoop
	fd     int
	remote net.Addr
	local  net.Addr

	st            connState  // what the last call of the handler left
	readable      bool       // the poller said there are bytes (or an EOF) to read
	readDeadline  time.Time  // as the handler set it
	out           []outPiece // what the socket has not taken yet
	moved         time.Time  // when the output queue last moved: it must move within sendTimeout
	writeDeadline time.Time  // when to try the output queue again, and see whether it moves
	wrote         bool       // the last call wrote: call it again once that has gone out
	done          bool       // the handler said to close: send out, then close
	failed        bool       // the client will not get all we sent: close with a reset
	lingerUntil   time.Time  // closing: read and throw away until then, unless more comes
	lingerEnd     time.Time  // and never past this
	queued        bool       // in l.todo
	offLoop       bool       // its handler is running on a goroutine of its own
	closed        bool       // its socket is closed
	watched       interest   // what the poller watches it for; 0: nothing
	err           error      // the first write error: nothing more can be sent
}

// outPiece is one piece of the output queue: bytes, or part of a file.
type outPiece struct {
	data   []byte // the bytes to write, of which sent are written; nil for a file:
	sent   int
	file   int   // a copy (dup) of the file's descriptor: the handler closes its own
	off, n int64 // the part of the file still to send
}

// deadline is the time by which the loop must look at c again: the end
// of its lingering, of its wait for the client to take its answer, or of
// its wait for a request.
func (c *evConn) deadline() time.Time {
	switch {
	case !c.lingerUntil.IsZero():
		return c.lingerUntil
	case len(c.out) > 0:
		return c.writeDeadline
	}
	return c.readDeadline
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
		return 0, nil // the poller has said nothing: don't even ask
	}
	c.readable = false // if bytes are left, the poller says so again
	for {
		n, err := unix.Read(c.fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN && late:
			return 0, os.ErrDeadlineExceeded
		case err == unix.EAGAIN:
			return 0, nil
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Write sends what the socket takes of p now, without waiting, and queues
// the rest, for the loop to send as the socket takes it: the loop never
// waits for a client to read. Most answers fit in the socket's send
// buffer whole, and so are never copied nor held. Off the loop it sends
// all, and waits.
func (c *evConn) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.wrote = true
	sent := 0
	if len(c.out) == 0 && !c.offLoop {
		// Nothing queued before p: it may go at once.
		n, err := c.writeSome(p)
		if err != nil {
			c.err, c.failed = err, true
			return 0, err
		}
		sent = n
	}
	switch last := len(c.out) - 1; {
	case sent == len(p):
	case last >= 0 && c.out[last].data != nil:
		c.out[last].data = append(c.out[last].data, p[sent:]...)
	default:
		c.out = append(c.out, outPiece{data: slices.Clone(p[sent:])})
	}
	if err := c.flushOffLoop(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeSome writes what the socket takes of p: all of it, a part (a
// partial write), or nothing, when its send buffer is full (EAGAIN).
func (c *evConn) writeSome(p []byte) (int, error) {
	for {
		n, err := unix.Write(c.fd, p)
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, nil
		}
		return max(n, 0), err
	}
}

// sendFile queues the next n bytes of f: only a copy of its descriptor
// goes in the queue, and flush sends the bytes with sendfile(2) as the
// socket takes them, never all in our memory.
func (c *evConn) sendFile(f *os.File, n int64) error {
	if c.err != nil {
		return c.err
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	dup, err := dupFile(f)
	if err != nil {
		return err
	}
	c.out = append(c.out, outPiece{file: dup, off: off, n: n})
	c.wrote = true
	// The bytes count as read, as if we had read them from f.
	if _, err := f.Seek(n, io.SeekCurrent); err != nil {
		return err
	}
	return c.flushOffLoop()
}

// backlogged reports whether answers wait in the output queue.
func (c *evConn) backlogged() bool { return len(c.out) > 0 }

// unsent asks the kernel how much of what we wrote it still holds.
func (c *evConn) unsent() int { return unsentBytes(uintptr(c.fd)) }

// readBuffer lends the loop's read buffer, for one call of the handler:
// see eventLoop.call.
func (c *evConn) readBuffer() []byte { return c.l.buf[:0] }

// log adds the line to the loop's, which it writes to the console once a
// turn (writeLog): one system call for all the requests it answered
// since it last slept, rather than one for each, and 64 KiB at most. Off
// the loop, the line goes at once.
func (c *evConn) log(line []byte) {
	if c.offLoop {
		os.Stdout.Write(line)
		return
	}
	if len(c.l.log)+len(line) > 64<<10 {
		c.l.writeLog()
	}
	c.l.log = append(c.l.log, line...)
}

// abort: the loop will reset the connection when it closes it.
func (c *evConn) abort() { c.failed = true }

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
	c.l.watch(c) // out of the poller's set: the new loop must leave c alone
	// The loop's read buffer may hold the rest of c's requests: it stays
	// with c, and the new loop gets one of its own.
	c.l.buf = make([]byte, readSize)
	// Off the loop, writes may wait: make the socket blocking, with a
	// timeout on each write (SO_SNDTIMEO), as netConn's keepSending.
	unix.SetNonblock(c.fd, false)
	tv := unix.NsecToTimeval(int64(c.l.s.sendTimeout / 4))
	unix.SetsockoptTimeval(c.fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	go c.l.run() // last: from here on, the loop is that goroutine's
}

// finishOffLoop sends the rest of c's output, then hands c back to the
// loop and wakes it.
func (c *evConn) finishOffLoop() {
	c.flushOffLoop()
	unix.SetNonblock(c.fd, true)
	l := c.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		c.closeFiles()
		unix.Close(c.fd)
		return
	}
	l.back = append(l.back, c)
	unix.Write(l.wake[1], []byte{0})
}

// dupFile returns a copy of f's descriptor, which stays open when the
// handler closes f. Close-on-exec, so that no CGI script inherits it.
func dupFile(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	dup, dupErr := -1, error(nil)
	err = rc.Control(func(fd uintptr) {
		dup, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	})
	if err == nil {
		err = dupErr
	}
	return dup, err
}

// flush writes the output queue until it is empty or the socket takes no
// more: write(2) on a non-blocking socket whose send buffer is full fails
// with EAGAIN, and one with a little room writes a part of what it was
// given (a partial write). The rest stays queued; the loop asks the poller
// to say when the socket can take more.
func (c *evConn) flush() (progress bool, err error) {
	for len(c.out) > 0 {
		p := &c.out[0]
		var n int
		if p.data != nil {
			n, err = unix.Write(c.fd, p.data[p.sent:])
		} else {
			// Our own copy of the offset: Linux moves it on, macOS does not.
			off := p.off
			n, err = unix.Sendfile(c.fd, p.file, &off, int(min(p.n, 1<<30)))
		}
		if n > 0 {
			// macOS reports what it sent even with EAGAIN.
			progress = true
		}
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN && n <= 0:
			return progress, nil
		case err != nil && err != unix.EAGAIN:
			return progress, err
		case n == 0 && p.data == nil:
			return progress, io.ErrUnexpectedEOF // the file got shorter under us
		}
		if p.data != nil {
			if p.sent += n; p.sent < len(p.data) {
				continue
			}
		} else {
			p.off += int64(n)
			if p.n -= int64(n); p.n > 0 {
				continue
			}
			unix.Close(p.file)
		}
		c.out = c.out[1:]
	}
	c.out = nil
	return progress, nil
}

// flushOffLoop, off the loop, sends the whole queue, waiting as needed,
// and fails only when no byte has moved for sendTimeout, as netConn's
// keepSending: each write(2) waits a quarter of that at most
// (SO_SNDTIMEO), and then fails with EAGAIN, or returns what it wrote.
// On the loop it does nothing: the loop sends the queue when the handler
// returns.
func (c *evConn) flushOffLoop() error {
	if !c.offLoop || c.err != nil {
		return c.err
	}
	for moved := time.Now(); len(c.out) > 0 && c.err == nil; {
		progress, err := c.flush()
		switch {
		case err != nil:
			c.err = err
		case progress:
			moved = time.Now()
		case time.Since(moved) >= c.l.s.sendTimeout:
			c.err = os.ErrDeadlineExceeded
		}
	}
	return c.err
}

// closeFiles closes the files still queued.
func (c *evConn) closeFiles() {
	for _, p := range c.out {
		if p.data == nil {
			unix.Close(p.file)
		}
	}
	c.out = nil
}

func (c *evConn) RemoteAddr() net.Addr { return c.remote }

func (c *evConn) LocalAddr() net.Addr {
	if c.local == nil {
		sa, _ := unix.Getsockname(c.fd)
		c.local = tcpAddr(sa)
	}
	return c.local
}

// SetReadDeadline sets the deadline that Read checks, and that the loop
// wakes up for. (There is no SetWriteDeadline: the loop gives the output
// queue sendTimeout from its last progress, and so does flushOffLoop.)
func (c *evConn) SetReadDeadline(t time.Time) error {
	c.readDeadline = t
	return nil
}

// tcpAddr turns an address as the system calls give it into a Go one.
func tcpAddr(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IPv4(a.Addr[0], a.Addr[1], a.Addr[2], a.Addr[3]), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: append(net.IP(nil), a.Addr[:]...), Port: a.Port}
	}
	return &net.TCPAddr{}
}
