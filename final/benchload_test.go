package main

// The load generator of BenchmarkVsNetHTTP: plain TCP connections, kept
// alive, each sending a request and reading exactly one response before
// the next. Written once, used for every server.

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// drive sends req over *vsConns connections (or s.conns) to s for d, and returns the
// responses received per second, and the server's CPU time per response
// in microseconds (0 when unknown). Every response must have status want.
func drive(b *testing.B, s running, req []byte, want int, d time.Duration) (rate, cpu float64) {
	addr := s.addr
	conns := *vsConns
	if s.conns > 0 {
		conns = s.conns
	}
	clients := dialAll(b, addr, conns)
	defer closeAll(clients)
	var stop atomic.Bool
	var answered atomic.Int64
	var wg sync.WaitGroup
	var cpuBefore time.Duration
	if s.cpu != nil {
		cpuBefore = s.cpu()
	}
	start := time.Now()
	timer := time.AfterFunc(d, func() { stop.Store(true) })
	defer timer.Stop()
	for _, c := range clients {
		wg.Go(func() {
			for !stop.Load() {
				if err := c.roundTrip(req, want); err != nil {
					b.Errorf("%s: %v", addr, err)
					return
				}
				answered.Add(1)
			}
		})
	}
	wg.Wait()
	n := float64(answered.Load())
	if s.cpu != nil {
		cpu = float64((s.cpu() - cpuBefore).Microseconds()) / n
	}
	return n / time.Since(start).Seconds(), cpu
}

// idleMemory opens n connections to s, sends one request on each, leaves
// them open and idle, and returns how much more memory s holds, per
// connection.
func idleMemory(b *testing.B, s running, req []byte, n int) float64 {
	before := s.memory()
	clients := dialAll(b, s.addr, n)
	defer closeAll(clients)
	for _, c := range clients {
		if err := c.roundTrip(req, 200); err != nil {
			b.Fatalf("%s: %v", s.addr, err)
		}
		c.r = nil // the client's own buffer is not the server's memory
	}
	time.Sleep(200 * time.Millisecond) // let the server settle
	return (float64(s.memory()) - float64(before)) / float64(n)
}

// client is one keep-alive connection.
type client struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialAll(b *testing.B, addr string, n int) []*client {
	clients := make([]*client, n)
	for i := range clients {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			closeAll(clients[:i])
			b.Fatal(err)
		}
		clients[i] = newClient(conn, 64<<10)
	}
	return clients
}

// newClient is a client on conn, reading with a buffer of size bytes.
func newClient(conn net.Conn, size int) *client {
	return &client{conn: conn, r: bufio.NewReaderSize(conn, size)}
}

func closeAll(clients []*client) {
	for _, c := range clients {
		c.conn.Close()
	}
}

// roundTrip sends req and reads the whole response, by its Content-Length
// or its chunks; the body is thrown away. Its status must be want, unless
// want is 0.
func (c *client) roundTrip(req []byte, want int) error {
	if _, err := c.conn.Write(req); err != nil {
		return err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if status := fmt.Sprint(want); len(line) < 12 || want != 0 && string(line[9:12]) != status {
		return fmt.Errorf("want status %s, got %q", status, line)
	}
	length, chunked := -1, false
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return err
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			return fmt.Errorf("the server closes the connection")
		}
	}
	switch {
	case want == 304:
		return nil
	case chunked:
		return c.discardChunks()
	case length < 0:
		return fmt.Errorf("no Content-Length and not chunked")
	}
	_, err = c.r.Discard(length)
	return err
}

// discardChunks reads a chunked body (RFC 9112 §7.1), without trailers.
func (c *client) discardChunks() error {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseUint(string(size), 16, 31)
		if err != nil {
			return err
		}
		if _, err := c.r.Discard(int(n) + 2); err != nil || n == 0 {
			return err
		}
	}
}
