//go:build unix

package main

// Hostile clients, round two (issue 14): what a connection costs while it
// is slow. A client may read its answer slowly, or stop reading; it may
// send a body that nobody wants, or more body than we take; and a server
// told to stop must stop, whatever its clients are doing.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestHostileSlowReader: a client that reads a big file slowly, but
// steadily, gets all of it, however long that takes, and its connection
// stays open for the next request. The limit is on lack of progress, not
// on time (nginx's send_timeout): here one second without a byte taken,
// and the client takes the 3 MiB file in over six seconds, at a steady
// 500 KB/s. The server's send buffer is 1 MiB (SO_SNDBUF; the kernel
// doubles it), so that:
//
//   - the server's writes wait for the client for two seconds: a deadline
//     per write, or per 1 MiB written (the limit before issue 14, 30 s,
//     here 1 s), would cut the client off;
//   - a full 2 MiB send buffer is reported writable only once a third of
//     it is free, after 1.4 s at this rate: an event loop that waits for
//     that to see progress gives up first;
//   - the whole answer has left the server's hands 4 s before the client
//     has read it, and the idle clock (1 s here) must not run while the
//     kernel still holds bytes for a client that takes them. (Under -race
//     on a loaded machine, a client still reading 3 MiB missed a 1 s idle
//     timeout: TestHostile's range-many.)
func TestHostileSlowReader(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		ts := startTestServer(t, testServerOptions{mode: mode, sendTimeout: time.Second, idleTimeout: time.Second, sendBuffer: 1 << 20})
		conn := ts.dial(t)
		defer conn.Close()
		// A small receive buffer: the bytes wait in the server's socket,
		// not in ours.
		conn.(*net.TCPConn).SetReadBuffer(32 << 10)
		conn.SetDeadline(time.Now().Add(60 * time.Second))
		fmt.Fprintf(conn, "GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		br := bufio.NewReaderSize(&pacedReader{r: conn, rate: 500 << 10, start: time.Now()}, 8<<10)
		start := time.Now()
		resp, err := readResponse(br, "GET")
		took := time.Since(start).Round(time.Millisecond)
		if err != nil || !bytes.Equal(resp.body, ts.big) {
			t.Fatalf("a client reading at 500 KB/s, after %v: %v, or not the file", took, err)
		}
		// Still open, and in step: a second request on the connection.
		fmt.Fprintf(conn, "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		if resp, err := readResponse(br, "GET"); err != nil || string(resp.body) != smallText {
			t.Fatalf("the next request on the connection, after reading %d bytes in %v: %v", len(ts.big), took, err)
		}
		t.Logf("read %d bytes in %v, with a 1 s send timeout and a 1 s idle timeout", len(ts.big), took)
	})
}

// pacedReader reads from r no faster than rate bytes a second, in reads
// of 8 KiB at most: a client on a slow line.
type pacedReader struct {
	r     io.Reader
	rate  int
	start time.Time
	n     int
}

func (p *pacedReader) Read(b []byte) (int, error) {
	time.Sleep(time.Until(p.start.Add(time.Duration(p.n) * time.Second / time.Duration(p.rate))))
	n, err := p.r.Read(b[:min(len(b), 8<<10)])
	p.n += n
	return n, err
}

// TestHostileStalledReader: a client that asks for a big file and stops
// reading is given up on once it has taken nothing for the send timeout,
// and it must be able to tell that its answer is incomplete. A FIN would
// wait behind the megabytes the kernel still holds for it, and reach it,
// minutes later, looking like the end of the file; so the server resets
// the connection (RST), and the client's read fails, "connection reset by
// peer", before the whole file.
func TestHostileStalledReader(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		ts := startTestServer(t, testServerOptions{mode: mode, sendTimeout: time.Second, idleTimeout: time.Second})
		before := ts.idle(t)
		conn := ts.dial(t)
		defer conn.Close()
		conn.(*net.TCPConn).SetReadBuffer(32 << 10)
		fmt.Fprintf(conn, "GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		// Four times the send timeout: the server gives up after one (or,
		// when the whole answer fitted in the kernel's buffers, after the
		// idle timeout and one send timeout more).
		time.Sleep(4 * time.Second)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(conn)
		if !errors.Is(err, syscall.ECONNRESET) || len(got) >= len(ts.big) {
			t.Fatalf("a client that stopped reading for 4 s (send timeout 1 s) read %d bytes (the file is %d), then %v; want a reset before the end", len(got), len(ts.big), err)
		}
		conn.Close()
		ts.checkAlive(t)
		checkNoLeaks(t, before)
		t.Logf("stalled for 4 s, then read %d of %d bytes and %v", len(got), len(ts.big), err)
	})
}

// TestHostileUploadTooLarge: a client that sends a body over our 1 MiB,
// all of it before it reads a byte (as simple clients do), gets its 413
// (RFC 9110 §15.5.14) and then a clean close. The server answers as soon
// as it knows, and must not then close with the client's bytes unread: the
// kernel would answer them with a reset, the client's write would fail
// ("broken pipe"), and the reset can destroy the 413 before the client
// reads it (RFC 9112 §9.6). So it shuts its side, then reads and drops
// what still comes (a lingering close), until the client has sent it all
// and closes. Before issue 14 it read 256 KiB or 0.5 s of it, and these
// 16 MiB clients got a broken pipe.
func TestHostileUploadTooLarge(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		ts := startTestServer(t, testServerOptions{mode: mode})
		const size = 16 << 20
		data := bytes.Repeat([]byte("x"), 64<<10)
		plain := fmt.Appendf(nil, "POST /form HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n", size)
		chunked := []byte("POST /form HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n")
		for range size / len(data) {
			plain = append(plain, data...)
			chunked = fmt.Appendf(chunked, "%x\r\n%s\r\n", len(data), data)
		}
		for name, req := range map[string][]byte{"content-length": plain, "chunked": chunked} {
			t.Run(name, func(t *testing.T) {
				conn := ts.dial(t)
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(20 * time.Second))
				n, err := conn.Write(req)
				if err != nil {
					t.Fatalf("writing a %d-byte request, %d written: %v; want it all taken, then a 413", len(req), n, err)
				}
				br := bufio.NewReader(conn)
				resp, err := readResponse(br, "POST")
				if err != nil || resp.status != 413 || !resp.close {
					t.Fatalf("after a %d MiB body: %v, %v; want a 413 with Connection: close", size>>20, resp, err)
				}
				if extra, err := br.Peek(1); err != io.EOF {
					t.Fatalf("after the 413: %q, %v; want a clean close (EOF)", extra, err)
				}
			})
		}
	})
}

// TestHostileUnreadBodyDropped: a body that no handler will read (a POST
// to a file, which is answered 405 whatever it holds) must still be read,
// to find where the next request starts, but not kept: its bytes are
// dropped as they arrive, and the memory a connection holds stays
// bounded, however big the body and however slowly it comes. The
// attack: many clients each send most of a 1 MiB body to a static file,
// and stall; before issue 14 each held 1 to 2 MB of server memory.
//
// handleConnection, the step every mode calls, driven here by hand over a
// real socket: after each call, what st holds is measured, until all but
// the body's last byte has been read. A body that a handler does read (a
// POST to /form) is held, as it must be: the measure sees it.
func TestHostileUnreadBodyDropped(t *testing.T) {
	ts := startTestServer(t, testServerOptions{})
	for _, tc := range []struct {
		target  string
		kept    bool
		status  int
		maxHeld int
	}{
		{"/small.txt", false, 405, 64 << 10},
		{"/form", true, 400, 2 << 20},
	} {
		t.Run(tc.target[1:], func(t *testing.T) {
			held := heldWhileBodyArrives(t, ts, tc.target, tc.status)
			if !tc.kept && held > tc.maxHeld || tc.kept && held < 1<<20 {
				t.Fatalf("POST %s with a 1 MiB body: the connection held up to %d bytes; want at most %d", tc.target, held, tc.maxHeld)
			}
			t.Logf("POST %s, 1 MiB: held up to %d bytes while the body arrived", tc.target, held)
		})
	}
}

// heldWhileBodyArrives sends a POST with a 1 MiB body, calls
// handleConnection until all but its last byte has arrived, and returns
// the most the connection's state held meanwhile: its read buffer and the
// body kept. Then it sends the last byte, and wants status back.
func heldWhileBodyArrives(t *testing.T, ts *testServer, target string, status int) int {
	client, conn := tcpPair(t)
	c := &netConn{Conn: conn, sendTimeout: 5 * time.Second}
	const size = 1 << 20
	go func() {
		fmt.Fprintf(client, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n", target, size)
		client.Write(bytes.Repeat([]byte("x"), size-1))
	}()
	var st connState
	held := 0
	for deadline := time.Now().Add(20 * time.Second); st.req == nil || st.body.left > 1; {
		var done bool
		if done, st = ts.handleConnection(c, st); done || time.Now().After(deadline) {
			t.Fatalf("the connection closed, or 20 s passed, before the body had come: %+v", st.body)
		}
		if h := cap(st.buf); st.req != nil {
			held = max(held, h+cap(st.req.body))
		}
	}
	client.Write([]byte("x"))
	if done, st := ts.handleConnection(c, st); done || st.req != nil {
		t.Fatalf("after the last byte: done %v, a request still arriving %v", done, st.req != nil)
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if resp, err := readResponse(bufio.NewReader(client), "POST"); err != nil || resp.status != status {
		t.Fatalf("POST %s: %v, %v; want %d", target, resp, err, status)
	}
	return held
}

// TestHostileStalledBodies: the same attack on the whole server, in every
// mode that serves connections at once: 40 clients each send a POST to a
// static file, with all but the last byte of a 1 MiB body, and stall until
// the body timeout answers 408. The server's live heap (after a garbage
// collection), measured every 100 ms meanwhile, must stay within 16 MiB
// of what it was (a generous bound: what the server allocates while the
// measure is taken counts too): held, the bodies would be 40 MiB. Once the clients are
// gone, it is back where it was.
func TestHostileStalledBodies(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		const clients, size = 40, 1 << 20
		raiseFileLimit(t, 4*clients+100)
		ts := startTestServer(t, testServerOptions{mode: mode, bodyTimeout: 3 * time.Second})
		before := ts.idle(t)
		base := liveHeap()
		body := bytes.Repeat([]byte("x"), size-1)
		answers := make(chan error, clients)
		for range clients {
			conn := ts.dial(t)
			defer conn.Close()
			go func() {
				conn.SetDeadline(time.Now().Add(30 * time.Second))
				fmt.Fprintf(conn, "POST /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n", size)
				conn.Write(body)
				resp, err := readResponse(bufio.NewReader(conn), "POST")
				if err == nil && resp.status != 408 {
					err = fmt.Errorf("status %d, want 408", resp.status)
				}
				conn.Close()
				answers <- err
			}()
		}
		peak := 0
		for waiting := clients; waiting > 0; {
			select {
			case err := <-answers:
				waiting--
				if err != nil {
					t.Errorf("a stalled client: %v", err)
				}
			case <-time.After(100 * time.Millisecond):
				peak = max(peak, liveHeap()-base)
			}
		}
		if peak > 16<<20 {
			t.Errorf("%d stalled POSTs of %d bytes to a file: the live heap grew by up to %d bytes; want at most 16 MiB", clients, size, peak)
		}
		checkNoLeaks(t, before)
		after := liveHeap() - base
		if after > 2<<20 {
			t.Errorf("once the clients were gone, the live heap was still %d bytes above what it was", after)
		}
		t.Logf("%d stalled POSTs: live heap up to %d KiB above the start; %d KiB once they were gone", clients, peak>>10, after>>10)
	}, "sequential")
}

// liveHeap is the bytes of heap in use after a garbage collection: what
// the process holds, not what it has yet to collect.
func liveHeap() int {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int(m.HeapAlloc)
}

// TestHostileShutdownInFlight: told to stop, the server stops within
// shutdownGrace (3 s), in every mode, whatever is in flight: here a big
// file for a client that does not read it, or a CGI script that would run
// for a minute (its timeout). It gives them the grace, then goes; main
// then kills the scripts and exits, as done here. Before issue 14 the
// sequential mode served its connection on main's goroutine, and waited:
// 10 s and more for the download, until the client hung up; 7.5 s and
// more for the script.
func TestHostileShutdownInFlight(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		for _, target := range []string{"/big.bin", "/cgi-bin/hang.sh"} {
			t.Run(target[1:], func(t *testing.T) {
				// A small send buffer, or the whole file would be in the
				// kernel's hands at once, and nothing in flight here.
				ts := startTestServer(t, testServerOptions{mode: mode, cgiTimeout: time.Minute, sendTimeout: time.Minute, sendBuffer: 64 << 10})
				t.Cleanup(ts.site.cgi.killScripts) // as main does, before the server's cleanup
				conn := ts.dial(t)
				defer conn.Close()
				conn.(*net.TCPConn).SetReadBuffer(32 << 10)
				conn.SetDeadline(time.Now().Add(time.Minute))
				fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", target)
				// In flight: the file has begun to arrive; the script runs.
				if target == "/big.bin" {
					if _, err := io.ReadFull(conn, make([]byte, 1<<10)); err != nil {
						t.Fatal(err)
					}
				} else {
					waitFor(t, 10*time.Second, "the script to start", func() bool { return len(childProcesses()) > 0 })
				}
				start := time.Now()
				ts.shutdown(ts.ln)
				select {
				case <-ts.served:
				case <-time.After(shutdownGrace + 2*time.Second):
					t.Fatalf("GET %s in flight: the server still served %v after shutdown; the promise is %v", target, shutdownGrace+2*time.Second, shutdownGrace)
				}
				t.Logf("GET %s in flight: stopped %v after shutdown", target, time.Since(start).Round(time.Millisecond))
				ts.site.cgi.killScripts()
				conn.Close()
			})
		}
	})
}
