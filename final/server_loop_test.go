//go:build linux || darwin

package main

import (
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestEventLoopDeals checks that connections accepted in a burst are
// shared out among the loops. The first loop to wake accepts every
// connection waiting; were it to keep them all, it would do all the work
// on one core while the others slept.
func TestEventLoopDeals(t *testing.T) {
	ln, loops := testLoops(t, 3)

	// 30 clients connect at once, and the first loop awake accepts them
	// all.
	const n = 30
	burst(t, ln, loops[0], n, func() bool { return countAll(loops) == n })
	for i, l := range loops {
		kept := len(l.conns)
		l.mu.Lock()
		dealt := len(l.dealt)
		l.mu.Unlock()
		if got := l.count.Load(); got != n/3 || kept+dealt != n/3 {
			t.Errorf("loop %d has %d connections (kept %d, dealt to it %d) of %d accepted by loop 0; want %d each",
				i, got, kept, dealt, n, n/3)
		}
		if i > 0 && dealt > 0 {
			// The loop was told: a byte in its wake-up pipe.
			if got, _ := unix.Read(l.wake[0], make([]byte, 64)); got <= 0 {
				t.Errorf("loop %d was dealt %d connections but not woken", i, dealt)
			}
		}
	}
}

// testLoops makes n event loops on a new listener, as serveLoops does, but
// does not run them: the test plays their part. Each is ended at the end
// of the test, unless the test ended it.
func testLoops(t *testing.T, n int) (net.Listener, []*eventLoop) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &server{}
	var loops []*eventLoop
	for range n {
		l, err := newEventLoop(s, ln, newPollSet)
		if err != nil {
			t.Fatal(err)
		}
		loops = append(loops, l)
		t.Cleanup(func() {
			if !l.ended {
				l.end()
			}
		})
	}
	for _, l := range loops {
		l.loops = loops
	}
	return ln, loops
}

// burst connects n clients at once (the kernel completes each handshake
// before any loop runs, as it does for a burst), then plays loop's part:
// it accepts until done, for 5 s at most.
func burst(t *testing.T, ln net.Listener, loop *eventLoop, n int, done func() bool) {
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
	for deadline := time.Now().Add(5 * time.Second); !done() && time.Now().Before(deadline); {
		loop.accept(time.Now())
		time.Sleep(time.Millisecond)
	}
}

func countAll(loops []*eventLoop) int {
	n := 0
	for _, l := range loops {
		n += int(l.count.Load())
	}
	return n
}

// TestEventLoopLateRead checks evConn.Read past the deadline. The loop may
// come to a connection late, busy with others: a request that has been
// waiting in the socket of an idle connection is read, not dropped; a
// head arriving too slowly, or an idle connection with nothing, fails.
func TestEventLoopLateRead(t *testing.T) {
	client, server := tcpPair(t)
	// A copy of the socket, as the loop has: File's dup, made non-blocking.
	// (Fd, called once: it makes the descriptor blocking each time.)
	f, err := server.(*net.TCPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}

	past := time.Now().Add(-time.Second)
	buf := make([]byte, 64)
	read := func(phase phase) (string, error) {
		c := &evConn{fd: fd, readDeadline: past, st: connState{phase: phase}}
		n, err := c.Read(buf)
		return string(buf[:n]), err
	}
	if got, err := read(idle); err != os.ErrDeadlineExceeded {
		t.Errorf("idle, deadline passed, nothing sent: Read = %q, %v; want os.ErrDeadlineExceeded", got, err)
	}
	const req = "GET / HTTP/1.1\r\n"
	client.Write([]byte(req))
	time.Sleep(50 * time.Millisecond) // on loopback, the bytes are there by then
	if got, err := read(headArrives); err != os.ErrDeadlineExceeded {
		t.Errorf("head arriving, deadline passed: Read = %q, %v; want os.ErrDeadlineExceeded (then 408)", got, err)
	}
	if got, err := read(idle); got != req || err != nil {
		t.Errorf("idle, deadline passed, a request waiting unseen by the poller: Read = %q, %v; want %q, nil", got, err, req)
	}
}

// TestEventLoopEnd checks what an ended loop leaves: it is dealt no new
// connection (the others get them all, none is closed unanswered), and a
// connection handed back to it after its last look is closed, not leaked.
func TestEventLoopEnd(t *testing.T) {
	ln, loops := testLoops(t, 2)
	a, b := loops[0], loops[1]

	// A connection whose handler finished off the loop, handed back to b
	// just before b ends.
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pair[1])
	b.back = append(b.back, &evConn{l: b, fd: pair[0], offLoop: true})
	b.end()
	if _, err := unix.FcntlInt(uintptr(pair[0]), unix.F_GETFD, 0); err != unix.EBADF {
		t.Errorf("a connection handed back to a loop that then ended is still open (fcntl: %v)", err)
	}

	const n = 4
	burst(t, ln, a, n, func() bool { return len(a.conns) == n })
	if len(a.conns) != n {
		t.Errorf("the running loop kept %d of %d new connections; the ended one must get none", len(a.conns), n)
	}
}
