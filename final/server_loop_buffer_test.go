//go:build linux || darwin

package main

import (
	"bufio"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestEventLoopLentBuffer checks the loop's one read buffer (eventLoop.call):
// a connection whose head is cut in two keeps its first half while other
// connections' requests pass through the same buffer, and is answered
// once the rest comes. The others stay open, so that each loop, dealt
// the next connection when it has the fewest, gets its share of them,
// the loop of the cut head too.
func TestEventLoopLentBuffer(t *testing.T) {
	ts := startTestServer(t, testServerOptions{mode: "eventloop"})
	a := ts.dialOpen(t)
	a.Write([]byte("GET /small.txt HTTP/1.1\r\nHost: a\r\nX-Half: "))
	time.Sleep(50 * time.Millisecond) // on loopback, read by then, on its own
	for range 20 {
		b := ts.dialOpen(t)
		b.Write([]byte("GET /notes/a.txt HTTP/1.1\r\nHost: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n"))
		resp, err := http.ReadResponse(bufio.NewReader(b), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("another connection: %v, %v; want 200", resp, err)
		}
	}
	a.Write([]byte("the rest\r\n\r\n"))
	a.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(a), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the connection whose head was cut: %v, %v; want 200", resp, err)
	}
}

// TestEventLoopDeadlineWhileBusy checks that the loop, which looks at the
// connections' deadlines only when the nearest it knows of has come
// (timers, scanAt), learns of a deadline nearer than all the others
// (wakeBy): a head that stops halfway gets its 408 at the head timeout,
// not at the idle timeout of the busy connection beside it, nor never.
func TestEventLoopDeadlineWhileBusy(t *testing.T) {
	const headTimeout, idleTimeout = 300 * time.Millisecond, 5 * time.Second
	ts := startTestServer(t, testServerOptions{mode: "eventloop", headTimeout: headTimeout, idleTimeout: idleTimeout})
	busy, slow := ts.dialOpen(t), ts.dialOpen(t)
	r := bufio.NewReader(busy)
	get := func() {
		busy.Write([]byte("GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"))
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	get() // the busy connection's idle deadline is now the nearest the loop knows of
	answer := make(chan *http.Response, 1)
	go func() {
		slow.Write([]byte("GET /small.txt HTTP/1.1\r\n")) // and no more
		slow.SetReadDeadline(time.Now().Add(idleTimeout / 2))
		resp, _ := http.ReadResponse(bufio.NewReader(slow), nil)
		answer <- resp
	}()
	for {
		get()
		select {
		case resp := <-answer:
			if resp == nil || resp.StatusCode != 408 {
				t.Fatalf("a head stopped halfway, head timeout %v: got %v by %v; want 408", headTimeout, resp, idleTimeout/2)
			}
			return
		case <-time.After(time.Millisecond):
		}
	}
}

// TestCutHeadsMemory: a head that arrives in pieces costs a connection
// about what a goroutine's 4 KiB buffer costs, not a full read buffer.
// The loop keeps a copy of a cut head as long as the head (eventLoop.call);
// the next piece fills that copy, and a full buffer grew by readSize:
// 16 KiB more, an 18 KiB allocation for a head of 40 bytes, twice what a
// goroutine and its buffer cost, for any client that sends its head in two
// writes and waits (every slowloris).
func TestCutHeadsMemory(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		const clients = 300
		raiseFileLimit(t, 2*clients+100)
		ts := startTestServer(t, testServerOptions{mode: mode, headTimeout: 10 * time.Second})
		base := liveHeap()
		conns := make([]net.Conn, clients)
		for i := range conns {
			conns[i] = ts.dialOpen(t)
			conns[i].Write([]byte("GET /small.txt HTTP/1.1\r\n"))
		}
		time.Sleep(100 * time.Millisecond) // on loopback, read by then
		for _, c := range conns {
			c.Write([]byte("Host: x\r\nX-Wait: "))
		}
		time.Sleep(100 * time.Millisecond)
		perConn := (liveHeap() - base) / clients
		t.Logf("%d heads cut twice: %d bytes of live heap per connection", clients, perConn)
		if perConn > 8<<10 {
			t.Errorf("%d heads cut twice: %d bytes of live heap per connection; want at most 8 KiB", clients, perConn)
		}
	}, "sequential")
}
