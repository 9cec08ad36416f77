//go:build unix

package main

// Load: many clients at once, every answer checked byte for byte, and
// nothing left behind once they are gone; then slowloris, clients that
// try to hold every connection by sending a request's head one byte at a
// time.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	loadClients  = 200
	loadRequests = 50 // per client, on one keep-alive connection
	loadTimeout  = 60 * time.Second
)

// loadTarget is the request a client makes the j-th time, and the body it
// must get: small files, an empty one, a listing, the calculated pages,
// a CGI script, and, twice per client, the 3 MiB file.
func (ts *testServer) loadTarget(client, j int, listing []byte) (string, []byte) {
	if j%25 == client%25 {
		return "/big.bin", ts.big
	}
	id := fmt.Sprintf("%d-%d", client, j)
	switch (client + j) % 9 {
	case 0:
		return "/small.txt", []byte(smallText)
	case 1:
		return "/empty.txt", nil
	case 2:
		return "/notes/with%20space.txt", []byte(testSiteFiles["notes/with space.txt"])
	case 3:
		return "/notes/", listing
	case 4:
		return "/hello/" + id, []byte("hello, /hello/" + id + "\n")
	case 5:
		return fmt.Sprintf("/sum?a=%d&b=%d", client, j), fmt.Appendf(nil, "%d + %d = %d\n", client, j, client+j)
	case 6, 7:
		return "/cgi-bin/hello.sh?" + id, []byte("hello from cgi, query=" + id + "\n")
	}
	return "/", []byte(testSiteFiles["index.html"])
}

// TestLoad runs 200 clients at once, each making 50 requests on one
// keep-alive connection: every one of the 10,000 answers must be complete
// and exact, no connection may fail, and once the clients have left the
// server must hold no more goroutines or descriptors than before.
func TestLoad(t *testing.T) { forEachMode(t, testLoad, "sequential") }

func testLoad(t *testing.T, mode string) {
	raiseFileLimit(t, 4*loadClients+100)
	// Up to 200 CGI scripts may run at once on a CI machine's two cores:
	// they get the test's whole time, not the default 2s, and as many
	// turns as there are clients (the cap has a test of its own,
	// TestCGITurns; here every answer must be the script's).
	ts := startTestServer(t, testServerOptions{mode: mode, idleTimeout: 5 * time.Second, cgiTimeout: loadTimeout, cgiMax: loadClients})
	// The listing's page is compared with what a lone client got first:
	// under load it must not change by a byte.
	listing := ts.get(t, "/notes/")
	for _, want := range []string{`href="a.txt"`, `href="with%20space.txt"`, `href="deep/"`} {
		if listing.status != 200 || !bytes.Contains(listing.body, []byte(want)) {
			t.Fatalf("GET /notes/: %d, no %s in\n%s", listing.status, want, listing.body)
		}
	}
	before := ts.idle(t)

	var answered atomic.Int64
	var mu sync.Mutex
	var failures []string
	start := time.Now()
	var wg sync.WaitGroup
	for c := range loadClients {
		wg.Go(func() {
			if err := ts.loadClient(c, listing.body, &answered); err != nil {
				mu.Lock()
				failures = append(failures, err.Error())
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	after := checkNoLeaks(t, before)

	total := int64(loadClients * loadRequests)
	t.Logf("load: %d clients x %d requests: %d answered, %d lost, in %v (%.0f req/s)",
		loadClients, loadRequests, answered.Load(), total-answered.Load(), elapsed.Round(time.Millisecond),
		float64(answered.Load())/elapsed.Seconds())
	t.Logf("load: before %v; after %v", before, after)
	slices.Sort(failures)
	for i, f := range failures {
		if i == 10 {
			t.Errorf("... and %d more", len(failures)-10)
			break
		}
		t.Error(f)
	}
	if answered.Load() != total || elapsed > loadTimeout {
		t.Errorf("%d of %d answered in %v, want all within %v", answered.Load(), total, elapsed, loadTimeout)
	}
}

// loadClient is one client of TestLoad: one connection, its requests one
// after the other, each answer checked. It stops at the first error.
func (ts *testServer) loadClient(client int, listing []byte, answered *atomic.Int64) error {
	conn, err := net.DialTimeout("tcp", ts.addr, 10*time.Second)
	if err != nil {
		return fmt.Errorf("client %d: %v", client, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(loadTimeout))
	br := bufio.NewReader(conn)
	for j := range loadRequests {
		target, want := ts.loadTarget(client, j, listing)
		if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: load-%d\r\n\r\n", target, client); err != nil {
			return fmt.Errorf("client %d, request %d (%s): %v", client, j, target, err)
		}
		resp, err := readResponse(br, "GET")
		switch {
		case err != nil:
			return fmt.Errorf("client %d, request %d (%s): %v", client, j, target, err)
		case resp.status != 200 || !bytes.Equal(resp.body, want):
			return fmt.Errorf("client %d, request %d (%s): %d, %d bytes %.40q..., want 200, %d bytes %.40q...",
				client, j, target, resp.status, len(resp.body), resp.body, len(want), want)
		case resp.close:
			return fmt.Errorf("client %d, request %d (%s): Connection: close on a keep-alive connection", client, j, target)
		}
		answered.Add(1)
	}
	return nil
}

// TestSlowloris opens 500 connections that each send a request's head one
// byte a second (slowloris, 2009: a few such clients held every worker of
// an Apache server). The head deadline runs from the head's first byte,
// so each must be answered 408 and closed within the 2 s it has, however
// steadily it drips; meanwhile a normal client must be answered at once.
func TestSlowloris(t *testing.T) { forEachMode(t, testSlowloris, "sequential") }

func testSlowloris(t *testing.T, mode string) {
	const (
		slow        = 500
		drip        = time.Second
		headTimeout = 2 * time.Second
		margin      = 2 * time.Second // for a busy machine: the deadline, then the 408 written
	)
	raiseFileLimit(t, 4*slow+100)
	// The idle timeout is long: dialling 500 connections before the first
	// byte of any can take longer than a second on a busy machine (under
	// -race), and a connection that has sent nothing yet is idle, closed
	// without a word when that runs out. The head timeout is what is tested.
	ts := startTestServer(t, testServerOptions{mode: mode, headTimeout: headTimeout, idleTimeout: 30 * time.Second})
	before := ts.idle(t)

	head := "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: " + strings.Repeat("slow", 20) + "\r\n\r\n"
	type result struct {
		got   []byte
		err   error
		after time.Duration // from the first byte to the close
	}
	results := make(chan result, slow)
	var conns []net.Conn
	for range slow {
		conns = append(conns, ts.dial(t))
	}
	for _, conn := range conns {
		go func() {
			defer conn.Close()
			start := time.Now()
			stop := make(chan struct{})
			go func() {
				for i := 0; i < len(head); i++ {
					if _, err := conn.Write([]byte{head[i]}); err != nil {
						return
					}
					select {
					case <-stop:
						return
					case <-time.After(drip):
					}
				}
			}()
			conn.SetReadDeadline(start.Add(headTimeout + 5*time.Second))
			got, err := io.ReadAll(conn)
			close(stop)
			results <- result{got, err, time.Since(start)}
		}()
	}

	// A normal client, on a new connection each time, until every slow
	// one is done: the slowest answer it got is the figure that counts.
	var waits []time.Duration
	var lastClose time.Duration
	for done := 0; done < slow; {
		select {
		case r := <-results:
			done++
			if !bytes.HasPrefix(r.got, []byte("HTTP/1.1 408 Request Timeout\r\n")) || r.err != nil || r.after > headTimeout+margin {
				t.Errorf("a slow client got %.60q, %v, %v after its first byte; want a 408 and the close within %v",
					r.got, r.err, r.after.Round(time.Millisecond), headTimeout+margin)
			}
			lastClose = max(lastClose, r.after)
		case <-time.After(50 * time.Millisecond):
			start := time.Now()
			ts.checkAlive(t)
			waits = append(waits, time.Since(start))
		}
	}
	after := checkNoLeaks(t, before)
	longest := slices.Max(waits)
	t.Logf("slowloris: %d slow connections, all 408 and closed at most %v after their first byte (head timeout %v)",
		slow, lastClose.Round(time.Millisecond), headTimeout)
	t.Logf("slowloris: a normal client made %d requests meanwhile, the slowest answered in %v", len(waits), longest.Round(time.Microsecond))
	t.Logf("slowloris: before %v; after %v", before, after)
	// Not a speed test: a server that the slow clients held up would make
	// the normal client wait until their head deadline (2s) cut them off,
	// so any answer that came sooner was not held up by them.
	if longest >= headTimeout {
		t.Errorf("a normal client waited %v for its answer during the attack: as long as the head deadline, so the slow clients held it up", longest)
	}
}
