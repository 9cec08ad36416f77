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
