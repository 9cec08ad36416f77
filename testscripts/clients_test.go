package testscripts

// TestClients is the "Firefox can talk to it" bar, made a test: real
// clients (curl, Python's urllib and http.client, headless Chromium and
// Firefox ESR) against every stage from 3 on and final, each doing what a
// student would do with it. Stage 2 has no status line: there the test
// checks that each client still does with it what stage2_reply/README.md
// says it does.
//
//	go test ./testscripts -run TestClients -v                 every client
//	go test ./testscripts -run 'TestClients/curl/stage8' -v   one client, one stage
//	UPDATE_SCREENSHOTS=1 go test ./testscripts -run TestClients/firefox/final
//	                       also copy the screenshots to final/screenshots/
//
// A client that is not installed skips its tests with a message that says
// how to install it, so `go test ./...` passes without them. CI installs
// every one and sets WORKBOOK_REQUIRE_CLIENTS=1 (.ci/run), which turns a
// missing client into a failure.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// A clientStage is a stage as the client tests see it: its binary and
// what it should be able to do, by its number (final counts as 9).
type clientStage struct {
	name string
	n    int
	prog *program
}

func (s clientStage) files() bool   { return s.n >= 5 } // serves web/ (stage 3 and 4: one built-in page)
func (s clientStage) listing() bool { return s.n >= 6 } // lists a folder without index.html
func (s clientStage) mime() bool    { return s.n >= 7 } // Content-Type by extension
func (s clientStage) form() bool    { return s.n >= 8 } // /form, GET and POST
func (s clientStage) final() bool   { return s.n >= 9 } // keep-alive, HEAD, ranges, HTML listings, CGI

// Stage 3 and 4 answer with this page (their const page).
const helloH1 = "<h1>Hello, web!</h1>"

// The food form as every client fills it in: a space, a non-ASCII letter
// and an "&" that must be percent-encoded on the way in and escaped on the
// way out.
const (
	formName   = "Zoë & Ada"
	formQuery  = "firstname=Zo%C3%AB+%26+Ada&lastname=Lovelace&food=Tacos"
	formAnswer = "Zoë &amp; Ada, go to TacoBell tonight!" // as HTML source
	formText   = "Zoë & Ada, go to TacoBell tonight!"     // as rendered text
)

// A client is one program the tests drive.
type client struct {
	name    string
	find    func() (string, error) // the program's path, or why it is missing
	install string                 // how to get it, for the skip message
	browser bool                   // one browser at a time (see browserMu)
	run     func(t *testing.T, prog string, s clientStage)
	stage2  func(t *testing.T, prog string, s clientStage) []outcome
}

// An outcome is what one client did with stage 2's reply, as a row of the
// table in stage2_reply/README.md words it: the row's first cell, and
// words its second cell must contain.
type outcome struct{ row, says string }

// browserMu lets one browser run at a time: each starts a dozen processes,
// and the machines that run CI have two cores.
var browserMu sync.Mutex

func lookPath(names ...string) func() (string, error) {
	return func() (string, error) {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p, nil
			}
		}
		return "", fmt.Errorf("none of %s is in PATH", strings.Join(names, ", "))
	}
}

func clients() []client {
	return []client{
		{name: "curl", find: lookPath("curl"), install: "apt-get install curl",
			run: curlStage, stage2: curlStage2},
		{name: "python", find: lookPath("python3"), install: "apt-get install python3",
			run: pythonStage, stage2: pythonStage2},
		{name: "chromium", find: lookPath("chromium", "chromium-browser", "google-chrome"), install: "apt-get install chromium",
			browser: true, run: chromiumStage, stage2: chromiumStage2},
		{name: "firefox", find: lookPath("firefox-esr", "firefox"), install: "apt-get install firefox-esr",
			browser: true, run: firefoxStage, stage2: firefoxStage2},
	}
}

func TestClients(t *testing.T) {
	if testing.Short() {
		t.Skip("real clients are slow: skipped with -short")
	}
	all := clientStages(t)
	for _, c := range clients() {
		t.Run(c.name, func(t *testing.T) {
			prog, err := c.find()
			if err != nil && os.Getenv("WORKBOOK_REQUIRE_CLIENTS") != "" {
				t.Fatalf("%s is not installed (%v), and WORKBOOK_REQUIRE_CLIENTS is set (CI): %s", c.name, err, c.install)
			}
			if err != nil {
				t.Skipf("%s is not installed (%v): these tests drive a real %s; to run them: %s", c.name, err, c.name, c.install)
			}
			for _, s := range all {
				t.Run(s.name, func(t *testing.T) {
					if !c.browser {
						t.Parallel()
					}
					if s.prog.bin == "" {
						t.Fatalf("%s did not build: see TestStages/%s", s.name, s.name)
					}
					if c.browser {
						browserMu.Lock()
						defer browserMu.Unlock()
					}
					if s.n == 2 {
						for _, o := range c.stage2(t, prog, s) {
							checkStage2Readme(t, o)
						}
						return
					}
					c.run(t, prog, s)
				})
			}
		})
	}
}

// clientStages lists stage 2, stages 3 and up, and final, with their
// binaries. TestMain builds only the stages -run selects for TestStages
// (none for -run TestClients): the others are built here.
func clientStages(t *testing.T) []clientStage {
	if setupErr != nil {
		t.Fatal(setupErr)
	}
	var list []clientStage
	var missing []*suite
	seen := map[string]bool{}
	for _, s := range suites {
		if seen[s.stage] || s.lines || s.mode != "" {
			continue // another chapter, an exercise or a serving mode: same binary
		}
		seen[s.stage] = true
		n := stageNumber(s.stage)
		if n < 2 {
			continue
		}
		if s.prog.bin == "" {
			missing = append(missing, s)
		}
		list = append(list, clientStage{name: s.stage, n: n, prog: s.prog})
	}
	if len(missing) > 0 {
		dir, err := os.MkdirTemp("", "workbook-clients-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		buildAll(missing, dir)
	}
	if len(list) == 0 {
		t.Skip("no stage folders found")
	}
	return list
}

// A running stage server, for one client test.
type clientServer struct {
	srv  *server
	url  string // http://127.0.0.1:PORT, no slash
	host string // 127.0.0.1:PORT
	root string // the folder it serves (a copy of web/), "" for stages 2–4
}

// startStage starts the stage on a free port, serving a copy of web/ (so a
// test can add pages to it) from stage 5 on, and stops it when the test
// ends.
func startStage(t *testing.T, s clientStage) *clientServer {
	t.Helper()
	cs := &clientServer{}
	var args []string
	if s.files() {
		cs.root = filepath.Join(t.TempDir(), "web")
		if err := copyTree(filepath.Join(root, "web"), cs.root); err != nil {
			t.Fatal(err)
		}
		args = []string{"-dir", cs.root}
	}
	srv, err := startServer(s.prog, nil, t.TempDir(), append([]string{"-bind", "127.0.0.1"}, append(args, "0")...))
	if err != nil {
		t.Fatalf("%s: cannot start: %v", s.name, err)
	}
	cs.srv = srv
	t.Cleanup(srv.kill)
	var port string
	ok := srv.console.waitFor(30*time.Second, srv.exited, func(_, stdout string) bool {
		_, port, _ = ready(stdout)
		return port != ""
	})
	if !ok {
		t.Fatalf("%s %s: no \"Serving HTTP on\" line within 30 s; console:\n%s", s.name, strings.Join(args, " "), strings.Join(srv.consoleTail(20), "\n"))
	}
	cs.host = "127.0.0.1:" + port
	cs.url = "http://" + cs.host
	return cs
}

// logged waits (up to 5 s: a server logs after it has answered) until the
// server's console has a line matching re, and fails the test if none
// comes. Stage 3 prints requests as they arrive, later stages an access
// log: "GET /x HTTP/1.1" matches both.
func (cs *clientServer) logged(t *testing.T, who string, re string) {
	t.Helper()
	rx := regexp.MustCompile("(?m)" + re)
	if !cs.srv.console.waitFor(5*time.Second, cs.srv.exited, func(all, _ string) bool { return rx.MatchString(all) }) {
		t.Errorf("%s: the server's console should show a line matching %q; it shows:\n%s", who, re, strings.Join(cs.srv.consoleTail(30), "\n"))
	}
}

// loggedTimes waits (up to 5 s) until the server's console has n lines
// matching re, and fails the test if it does not get there.
func (cs *clientServer) loggedTimes(t *testing.T, who string, re string, n int) {
	t.Helper()
	rx := regexp.MustCompile("(?m)" + re)
	if !cs.srv.console.waitFor(5*time.Second, cs.srv.exited, func(all, _ string) bool { return len(rx.FindAllString(all, -1)) >= n }) {
		t.Errorf("%s: the server's console should show %d lines matching %q; it shows:\n%s", who, n, re, strings.Join(cs.srv.consoleTail(30), "\n"))
	}
}

// addPage writes a page into the copy of web/ the server serves.
func (cs *clientServer) addPage(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(cs.root, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkStage2Readme checks that the table of clients in
// stage2_reply/README.md says what the client just did: the row whose
// first cell is o.row must contain o.says.
func checkStage2Readme(t *testing.T, o outcome) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "stage2_reply", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) > 2 && strings.TrimSpace(cells[1]) == o.row {
			if !strings.Contains(line, o.says) {
				t.Errorf("stage2_reply/README.md: the row for %s should say %q (what the client did just now):\n%s", o.row, o.says, line)
			}
			return
		}
	}
	t.Errorf("stage2_reply/README.md: the table of clients should have a row for %s that says %q", o.row, o.says)
}
