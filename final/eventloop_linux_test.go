//go:build linux

package main

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// TestEventLoopDeals checks that connections accepted in a burst are
// shared out among the loops. The first loop to wake accepts every
// connection waiting; were it to keep them all, it would do all the work
// on one core while the others slept.
func TestEventLoopDeals(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := &server{conns: map[net.Conn]bool{}}
	var loops []*eventLoop
	for range 3 {
		l, err := newEventLoop(s, ln)
		if err != nil {
			t.Fatal(err)
		}
		loops = append(loops, l)
	}
	for _, l := range loops {
		l.loops = loops
	}
	defer func() {
		for _, l := range loops {
			l.end()
		}
	}()

	// 30 clients connect at once; the kernel completes each handshake
	// before any loop runs, as it does for a burst.
	const n = 30
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	// The first loop wakes and accepts them all (the loops are not
	// running: the test plays the first one's part).
	for deadline := time.Now().Add(5 * time.Second); countAll(loops) < n && time.Now().Before(deadline); {
		loops[0].accept(time.Now())
		time.Sleep(time.Millisecond)
	}
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
			if got, _ := syscall.Read(l.wake[0], make([]byte, 64)); got <= 0 {
				t.Errorf("loop %d was dealt %d connections but not woken", i, dealt)
			}
		}
	}
}

func countAll(loops []*eventLoop) int {
	n := 0
	for _, l := range loops {
		n += int(l.count.Load())
	}
	return n
}

