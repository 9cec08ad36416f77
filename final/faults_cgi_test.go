//go:build unix

package main

// CGI faults, round two: a flood of requests for scripts, scripts that
// fail after their output began, and a child that leaves the script's
// process group. Each test writes its own scripts into the test site.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCGITurns sends 150 requests at once for a script that waits until
// the test lets it go. Each script is a process: no more than -cgi-max may
// run at once, and the other requests, after a second's wait for a turn,
// get 503 Service Unavailable with Retry-After (RFC 9110 §15.6.4,
// §10.2.3). Before the cap, 150 requests started 150 processes. The
// sequential mode serves one request at a time, so never runs two scripts.
func TestCGITurns(t *testing.T) { forEachMode(t, testCGITurns, "sequential") }

func testCGITurns(t *testing.T, mode string) {
	const clients, max = 150, 4
	raiseFileLimit(t, 4*clients+100)
	ts := startTestServer(t, testServerOptions{mode: mode, cgiMax: max, cgiTimeout: time.Minute, idleTimeout: time.Minute})
	started := filepath.Join(filepath.Dir(ts.root), "started")
	release := filepath.Join(filepath.Dir(ts.root), "release")
	writeFile(t, filepath.Join(ts.root, "cgi-bin", "turn.sh"), "#!/bin/sh\n"+
		"echo $$ >> '"+started+"'\n"+
		"while [ ! -e '"+release+"' ]; do sleep 0.05; done\n"+
		"printf 'Content-Type: text/plain\\n\\nmy turn\\n'\n")
	before := ts.idle(t)

	type result struct {
		resp *clientResponse
		err  error
	}
	results := make(chan result, clients)
	for range clients {
		go func() {
			conn, err := net.DialTimeout("tcp", ts.addr, 10*time.Second)
			if err != nil {
				results <- result{nil, err}
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(time.Minute))
			fmt.Fprintf(conn, "GET /cgi-bin/turn.sh HTTP/1.1\r\n%sConnection: close\r\n\r\n", hostLine)
			resp, err := readResponse(bufio.NewReader(conn), "GET")
			results <- result{resp, err}
		}()
	}
	// While the first max scripts wait for the release, every other
	// request is refused, after its second in the queue.
	var got503 int
	for got503 < clients-max {
		r := <-results
		switch {
		case r.err != nil:
			t.Fatalf("a request while %d scripts run: %v", max, r.err)
		case r.resp.status != 503:
			t.Fatalf("a request while %d scripts run: %d %q, want 503", max, r.resp.status, r.resp.body)
		case r.resp.header.Get("Retry-After") != "1":
			t.Fatalf("a 503 with Retry-After %q, want \"1\"", r.resp.header.Get("Retry-After"))
		}
		got503++
	}
	starts, _ := os.ReadFile(started)
	n, children := strings.Count(string(starts), "\n"), len(childProcesses())
	t.Logf("%d requests at once, -cgi-max %d: %d scripts started, %d running now, %d answered 503", clients, max, n, children, got503)
	if n != max || children > max {
		t.Fatalf("%d scripts started, %d running at once; want %d, -cgi-max", n, children, max)
	}

	writeFile(t, release, "")
	for range max {
		if r := <-results; r.err != nil || r.resp.status != 200 || string(r.resp.body) != "my turn\n" {
			t.Fatalf("a script let go: %v, %+v; want 200 \"my turn\\n\"", r.err, r.resp)
		}
	}
	checkNoLeaks(t, before)
	// Every turn was given back.
	for range max + 1 {
		if resp := ts.get(t, "/cgi-bin/hello.sh?again"); resp.status != 200 {
			t.Fatalf("a script after the flood: %d, want 200", resp.status)
		}
	}
}

// TestCGIFailedScripts runs scripts that fail after their output began:
// killed by a signal, or with an exit status other than 0. Their output
// may stop anywhere, and the client must be able to tell: a streamed
// answer ends without its last chunk, and the connection closes (RFC 9112
// §7.1: the body ends with the zero-size chunk; without it, the client
// knows it was cut); an answer not sent yet is 500. A script that
// succeeds gets its whole answer, and so does one that closes its output
// and runs on (then killed with its group).
func TestCGIFailedScripts(t *testing.T) { forEachMode(t, testCGIFailedScripts) }

func testCGIFailedScripts(t *testing.T, mode string) {
	const marker = "98762" // the sleep of closes-output.sh
	ts := startTestServer(t, testServerOptions{mode: mode, cgiTimeout: 10 * time.Second})
	const header, big = "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\n", "head -c 100000 /dev/zero | tr '\\0' x\n"
	tests := []struct {
		script, source string
		status         int
		cut            bool // streamed, and cut: no last chunk, then the close
		body           string
	}{
		{"cut-signal.sh", header + big + "kill -9 $$\n", 200, true, ""},
		{"cut-exit.sh", header + big + "exit 1\n", 200, true, ""},
		{"short-signal.sh", header + "printf 'half a pa'\nkill -9 $$\n", 500, false, ""},
		{"short-exit.sh", header + "echo 'a page'\nexit 2\n", 500, false, ""},
		{"whole-streamed.sh", header + big, 200, false, strings.Repeat("x", 100000)},
		{"whole-short.sh", header + "echo 'a page'\n", 200, false, "a page\n"},
		{"closes-output.sh", header + "echo 'a page'\nexec >&- 2>&-\nexec sleep " + marker + "\n", 200, false, "a page\n"},
	}
	for _, tt := range tests {
		writeFile(t, filepath.Join(ts.root, "cgi-bin", tt.script), tt.source)
	}
	before := ts.idle(t)
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			conn := ts.dial(t)
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(20 * time.Second))
			fmt.Fprintf(conn, "GET /cgi-bin/%s HTTP/1.1\r\n%s\r\n", tt.script, hostLine)
			br := bufio.NewReader(conn)
			resp, err := readResponse(br, "GET")
			if tt.cut {
				if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(err.Error(), strconv.Itoa(tt.status)) {
					t.Fatalf("%v, want a %d whose chunked body is cut short, no last chunk", err, tt.status)
				}
				if _, err := br.Peek(1); err != io.EOF {
					t.Fatalf("after the cut body: %v, want the connection closed", err)
				}
				return
			}
			if err != nil || resp.status != tt.status || resp.status == 200 && string(resp.body) != tt.body {
				t.Fatalf("%v %+v, want %d %.40q", err, resp, tt.status, tt.body)
			}
			// A whole answer, or a 500 in time: the connection goes on.
			fmt.Fprintf(conn, "GET /small.txt HTTP/1.1\r\n%s\r\n", hostLine)
			if resp, err := readResponse(br, "GET"); err != nil || resp.status != 200 {
				t.Fatalf("the next request on the connection: %v", err)
			}
		})
	}
	checkNoLeaks(t, before)
	waitFor(t, 5*time.Second, "no live sleep "+marker, func() bool { return len(liveProcessesIn(ts.root, marker)) == 0 })
}

// TestCGISetsid: a child that calls setsid(2) leaves the script's process
// group, and the group kill at the deadline misses it: the server cannot
// promise that it dies (see the README). What it does promise: the answer
// ends at the deadline (504), even when that child holds the script's
// stdout open, and the script's turn is given back; nothing is left of it
// in the server.
func TestCGISetsid(t *testing.T) { forEachMode(t, testCGISetsid) }

func testCGISetsid(t *testing.T, mode string) {
	const marker = "98761"
	setsid, err := exec.LookPath("setsid")
	if err != nil {
		t.Skip("no setsid command here")
	}
	ts := startTestServer(t, testServerOptions{mode: mode, cgiTimeout: time.Second, cgiMax: 1})
	// The escaped sleep holds stdout, not stderr: exec's WaitDelay would
	// close our end of a pipe that stderr is on, but not of stdout.
	writeFile(t, filepath.Join(ts.root, "cgi-bin", "escape.sh"), "#!/bin/sh\n"+
		setsid+" sleep "+marker+" 2>/dev/null &\n"+
		"printf 'Content-Type: text/plain\\n\\nescaped\\n'\n")
	t.Cleanup(func() {
		for _, pid := range liveProcessesIn(ts.root, marker) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	before := ts.idle(t)
	conn := ts.dial(t)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "GET /cgi-bin/escape.sh HTTP/1.1\r\n%s\r\n", hostLine)
	br := bufio.NewReader(conn)
	if resp, err := readResponse(br, "GET"); err != nil || resp.status != 504 {
		t.Fatalf("%v %+v: want 504 at the deadline, the output never ending", err, resp)
	}
	// The one turn (-cgi-max 1) is free again.
	fmt.Fprintf(conn, "GET /cgi-bin/hello.sh?next HTTP/1.1\r\n%s\r\n", hostLine)
	if resp, err := readResponse(br, "GET"); err != nil || resp.status != 200 {
		t.Fatalf("the next script: %v %+v, want 200", err, resp)
	}
	conn.Close()
	checkNoLeaks(t, before)
	t.Logf("still running, out of the server's reach: %v", liveProcessesIn(ts.root, marker))
}

// liveProcessesIn lists the processes of liveProcessesWith(marker) that
// run in a folder below dir (a CGI script runs in its own folder): this
// test's, not those of another test run on the same machine.
func liveProcessesIn(dir, marker string) []int {
	var pids []int
	for _, p := range liveProcessesWith(marker) {
		proc, _, _ := strings.Cut(p, "/cmdline")
		cwd, err := os.Readlink(proc + "/cwd")
		pid, _ := strconv.Atoi(filepath.Base(proc))
		if err == nil && strings.HasPrefix(cwd, dir+"/") {
			pids = append(pids, pid)
		}
	}
	return pids
}
