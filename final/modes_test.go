//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sort"
	"testing"
	"time"
)

// forEachMode runs f once for each way to serve (serveModes), as a
// subtest named for the mode, except the modes named in excused: a test
// of many clients at once has nothing to show of a server that takes one
// at a time. Modes this system lacks (the event loops, but on Linux and
// macOS) are skipped.
func forEachMode(t *testing.T, f func(t *testing.T, mode string), excused ...string) {
	modes := make([]string, 0, len(serveModes))
	for mode := range serveModes {
		modes = append(modes, mode)
	}
	sort.Strings(modes)
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			switch {
			case slices.Contains(excused, mode):
				t.Skipf("-serve %s serves one connection at a time: see TestSequentialWaits", mode)
			case (mode == "eventloop" || mode == "poll") && !loopsSupported:
				t.Skipf("-serve %s is for Linux and macOS only", mode)
			}
			f(t, mode)
		})
	}
}

// TestSequentialWaits shows what the sequential mode costs: while one
// client holds its connection, saying nothing, a second one gets no
// answer, until the first is gone. The other modes answer it at once.
func TestSequentialWaits(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		ts := startTestServer(t, testServerOptions{mode: mode, idleTimeout: 10 * time.Second})
		first := ts.dial(t)
		defer first.Close()
		second := ts.dial(t)
		defer second.Close()
		fmt.Fprintf(second, "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		br := bufio.NewReader(second)
		second.SetReadDeadline(time.Now().Add(time.Second))
		_, err := readResponse(br, "GET")
		if mode != "sequential" {
			if err != nil {
				t.Fatalf("the second client, while the first waits: %v", err)
			}
			return
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the second client, while the first holds a sequential server: %v, want no answer yet", err)
		}
		first.Close() // the server can take the next in line
		second.SetReadDeadline(time.Now().Add(5 * time.Second))
		if resp, err := readResponse(br, "GET"); err != nil || resp.status != 200 {
			t.Fatalf("the second client, once the first has gone: %v", err)
		}
	})
}

// TestSlowClientsStallNobody: a client that does not read its big file,
// and one whose CGI script takes its time, must not hold up a third. In
// the event loop, the first one's answer waits in its output queue (the
// socket's buffers are full), and the second one's handler runs off the
// loop.
func TestSlowClientsStallNobody(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		ts := startTestServer(t, testServerOptions{mode: mode, cgiTimeout: 3 * time.Second})
		reader := ts.dial(t)
		defer reader.Close()
		reader.(*net.TCPConn).SetReadBuffer(32 << 10) // small: the server's writes soon meet EAGAIN
		fmt.Fprintf(reader, "GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		hang := ts.dial(t)
		defer hang.Close()
		fmt.Fprintf(hang, "GET /cgi-bin/hang.sh HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		time.Sleep(200 * time.Millisecond) // both are being answered now

		start := time.Now()
		ts.checkAlive(t)
		if took := time.Since(start); took > time.Second {
			t.Errorf("GET /small.txt took %v while two slow clients were served", took)
		}
		// The big file arrives whole, however slowly it was read.
		reader.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := readResponse(bufio.NewReader(reader), "GET")
		if err != nil || !bytes.Equal(resp.body, ts.big) {
			t.Fatalf("GET /big.bin read slowly: %v, or not the file", err)
		}
	}, "sequential")
}
