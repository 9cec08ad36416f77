//go:build unix

package main

// Faults: clients that vanish halfway through an answer, CGI scripts that
// misbehave, and a process out of file descriptors. After each, the
// server must still answer, and hold no goroutine, descriptor or child
// process more than before.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFaultVanishingClients sends requests for a long answer and resets
// the connection after reading a little of it, as a browser does when its
// user clicks away: the server's next write fails, and it must let go of
// the connection, the file and the CGI script at once. The CGI timeout is
// a minute here, so a script left running would be caught.
func TestFaultVanishingClients(t *testing.T) { forEachMode(t, testFaultVanishingClients) }

func testFaultVanishingClients(t *testing.T, mode string) {
	ts := startTestServer(t, testServerOptions{mode: mode, cgiTimeout: time.Minute})
	for _, target := range []string{"/big.bin", "/cgi-bin/flood.sh"} {
		t.Run(strings.TrimPrefix(target, "/"), func(t *testing.T) {
			before := ts.idle(t)
			for range 20 {
				conn := ts.dial(t)
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", target)
				if _, err := io.ReadFull(conn, make([]byte, 100<<10)); err != nil {
					t.Fatalf("GET %s: %v before 100 KiB", target, err)
				}
				// SO_LINGER 0: close sends a reset (RST), not a FIN.
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
			ts.checkAlive(t)
			checkNoLeaks(t, before)
		})
	}
}

// TestFaultCGI runs scripts that misbehave: one floods its output without
// end, one hangs (with a child of its own), one exits without a word, one
// fails. Each gets the answer RFC 3875 and RFC 9110 give it, within the
// CGI timeout, and leaves no process behind.
func TestFaultCGI(t *testing.T) { forEachMode(t, testFaultCGI) }

func testFaultCGI(t *testing.T, mode string) {
	const cgiTimeout = time.Second
	ts := startTestServer(t, testServerOptions{mode: mode, cgiTimeout: cgiTimeout})
	tests := []struct {
		script string
		status int
		cut    bool // the body ends without its last chunk: aborted
		note   string
	}{
		{"flood.sh", 200, true, "streamed in chunks, never held whole; killed at the timeout, the response cut short so the client knows (RFC 9112 §7.1)"},
		{"hang.sh", 504, false, "no header in time: 504 Gateway Timeout (RFC 9110 §15.6.5); the script and its sleep killed"},
		{"silent.sh", 502, false, "no header at all: the script \"succeeded\" without an answer, 502 Bad Gateway (RFC 3875 §6.2, RFC 9110 §15.6.3)"},
		{"fail.sh", 500, false, "the script failed: 500 Internal Server Error"},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			before := ts.idle(t)
			conn := ts.dial(t)
			defer conn.Close()
			// Not a speed test: a script that was never killed would keep
			// the answer coming (flood.sh) or never start it (hang.sh),
			// until this deadline, and the read would fail.
			conn.SetDeadline(time.Now().Add(cgiTimeout + 20*time.Second))
			fmt.Fprintf(conn, "GET /cgi-bin/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", tt.script)
			br := bufio.NewReader(conn)
			resp, err := readResponse(br, "GET")
			switch {
			case tt.cut:
				// The head said 200, chunked; the body stops without the
				// zero-length chunk, and the connection closes.
				if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(err.Error(), fmt.Sprint(tt.status)) {
					t.Fatalf("%s: %v, want a %d whose chunked body is cut short (%s)", tt.script, err, tt.status, tt.note)
				}
			case err != nil:
				t.Fatalf("%s: %v (%s)", tt.script, err, tt.note)
			case resp.status != tt.status:
				t.Fatalf("%s: %d, want %d (%s)", tt.script, resp.status, tt.status, tt.note)
			}
			conn.Close()
			ts.checkAlive(t)
			checkNoLeaks(t, before)
			// hang.sh's sleep was not our child but the script's: when
			// the shell died it went to another parent. It must be dead
			// too, killed with the script's process group.
			waitFor(t, 5*time.Second, "no live sleep "+hangMarker, func() bool { return len(liveProcessesWith(hangMarker)) == 0 })
		})
	}
}

// TestFaultDescriptorExhaustion fills every file descriptor the process
// may have with connections, so that Accept fails with EMFILE ("too many
// open files"). The accept loop must neither die nor spin: it waits,
// longer each time, and tries again; once descriptors are free, it serves.
//
// The server runs in this process, under a soft RLIMIT_NOFILE lowered for
// the test to what is open now plus 64, and restored after. Client and
// server share that limit: the test dials until its own dial fails with
// EMFILE, and then no descriptor is left for Accept either.
func TestFaultDescriptorExhaustion(t *testing.T) {
	forEachMode(t, testFaultDescriptorExhaustion, "sequential")
}

func testFaultDescriptorExhaustion(t *testing.T, mode string) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("counts descriptors in /proc/self/fd")
	}
	// The accept loop reports each failure on os.Stderr: count them in a
	// file. Swapped before the server starts and back after it stops
	// (cleanups run last-in first-out), so no goroutine of the server
	// sees os.Stderr change.
	stderr := os.Stderr
	log, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	os.Stderr = log
	t.Cleanup(func() {
		os.Stderr = stderr
		log.Close()
	})
	// The filling connections must stay open while we watch.
	ts := startTestServer(t, testServerOptions{mode: mode, idleTimeout: time.Minute})
	ts.checkAlive(t)
	before := ts.idle(t)

	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
		t.Fatal(err)
	}
	low := limit
	low.Cur = uint64(before.fds + 64)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	restore := func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &limit) }
	defer restore()

	var conns []net.Conn
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
		conns = nil
	}
	defer closeAll()
	for {
		conn, err := net.Dial("tcp", ts.addr)
		if errors.Is(err, syscall.EMFILE) {
			break
		}
		if err != nil || len(conns) > 1000 {
			t.Fatalf("after %d connections: %v, want EMFILE", len(conns), err)
		}
		conns = append(conns, conn)
	}
	// The client and the server share this process's descriptors, and
	// whichever asks for the last one gets EMFILE: it may have been our
	// dial, with the server never refused. So make room for exactly one
	// more: hang up a connection (both its ends close), fill what that
	// freed with files, give back one, and dial. Our socket takes it, and
	// the new connection waits in the listen queue with no descriptor
	// left for the server to accept it with.
	// (Stat the log we hold open: to open it again would need a
	// descriptor, and there is none.)
	refused := func() bool { return sizeOf(log) > 0 }
	var files []*os.File // the fillers: closed before the leak check
	closeFiles := func() {
		for _, f := range files {
			f.Close()
		}
		files = nil
	}
	defer closeFiles()
	if !refused() {
		conns[0].Close()
		conns = conns[1:]
		time.Sleep(200 * time.Millisecond) // the server's end closes too
		for {
			f, err := os.Open(os.DevNull)
			if err != nil {
				break
			}
			files = append(files, f)
		}
		if len(files) > 0 {
			files[0].Close()
			files = files[1:]
		}
		if conn, err := net.Dial("tcp", ts.addr); err == nil {
			conns = append(conns, conn)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !refused() {
		t.Skip("the server was never refused a descriptor: our dials took the last ones every time")
	}
	// Out of descriptors. For the next two seconds, see how much CPU the
	// process burns: an accept loop that retried at once would keep a
	// core busy, and print an error each time round.
	const window = 2 * time.Second
	cpuBefore, logBefore := selfCPUTime(), sizeOf(log)
	time.Sleep(window)
	cpu, logged := selfCPUTime()-cpuBefore, sizeOf(log)-logBefore

	filled := len(conns)
	// Let go of the connections (and the fillers), and time how soon a
	// normal client is answered again.
	closeFiles()
	closeAll()
	start := time.Now()
	ts.checkAlive(t)
	recovery := time.Since(start)
	restore()
	after := checkNoLeaks(t, before)

	stderrText, _ := os.ReadFile(log.Name())
	failures := strings.Count(string(stderrText), "too many open files")
	t.Logf("exhaustion: %d connections filled the %d descriptors; in %v the process used %v of CPU and logged %d bytes; %d accept failures in all",
		filled, low.Cur, window, cpu.Round(time.Millisecond), logged, failures)
	t.Logf("exhaustion: served again %v after the connections closed; before %v; after %v", recovery.Round(time.Millisecond), before, after)
	if failures == 0 {
		t.Errorf("Accept never failed with EMFILE: the test did not exhaust the descriptors")
	}
	if cpu > window/4 || logged > 4<<10 {
		t.Errorf("while out of descriptors: %v of CPU in %v, %d bytes logged: the accept loop spins", cpu, window, logged)
	}
}

// selfCPUTime is the CPU time this process has used, user and system.
func selfCPUTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func sizeOf(f *os.File) int64 {
	info, err := f.Stat()
	if err != nil {
		return -1
	}
	return info.Size()
}
