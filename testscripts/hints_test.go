package testscripts

// The hints a failure chooses from what the grader sent and what came
// back, tested directly, stage by stage: each case is a typical mistake,
// the exchange that shows it, and words the hint must (and must not) say.
// The self-test scripts (testdata/selftest/fail_hint_*.txtar) check the
// same hints end to end, over sockets.

import (
	"strings"
	"testing"
	"time"
)

func testHints(t *testing.T) {
	t.Run("request", testRequestProblems)
	t.Run("status", testStatusHints)
	t.Run("wellformed", testWellformedHints)
}

// testRequestProblems: what makes a request malformed, by the rules of the
// stage that first checks them.
func testRequestProblems(t *testing.T) {
	cases := []struct {
		stage int
		req   string
		want  string // a piece of the problem; "" = nothing wrong
	}{
		{4, "GET /\r\n\r\n", `"GET /" has 2 parts, not three`},
		{4, "GET  / HTTP/1.1\r\n\r\n", "two spaces in a row"},
		{4, "GET / HTTP/1.1 extra\r\n\r\n", "has 4 parts"},
		{4, "GET / FTP/1.0\r\n\r\n", `the version "FTP/1.0"`},
		{4, "GET / HTTP/1\r\n\r\n", `the version "HTTP/1"`},
		{4, "GET index.html HTTP/1.1\r\n\r\n", `does not start with "/"`},
		{4, "G(T / HTTP/1.1\r\n\r\n", `the method "G(T" is not a token`},
		{4, "GET\t/ HTTP/1.1\r\n\r\n", "a tab where a space belongs"},
		{4, "GET /\x1b[2J HTTP/1.1\r\n\r\n", `"/\x1b[2J" holds a byte that is not visible ASCII`},
		{4, "GET / HTTP/1.1\r\n\r\n", ""},     // Host is not checked before stage 8
		{4, "GET /../x HTTP/1.1\r\n\r\n", ""}, // nor the path before stage 5
		{3, "GET  / HTTP/1.1\r\n\r\n", ""},    // nor anything before stage 4
		{4, "GET / HTTP/1.1\r\nHo", ""},       // a head never finished
		{5, "GET /bad%zz HTTP/1.1\r\n\r\n", "broken percent-escape"},
		{5, "GET /%2E%2E%2Fsecret.txt HTTP/1.1\r\n\r\n", `decoded "/../secret.txt", has a ".." segment`},
		{5, "GET /..\\secret.txt HTTP/1.1\r\n\r\n", "backslash"},
		{5, "GET /..%5csecret.txt HTTP/1.1\r\n\r\n", "backslash"},
		{5, "GET /index.html%00.txt HTTP/1.1\r\n\r\n", "NUL byte"},
		{5, "GET /%252e%252e/secret.txt HTTP/1.1\r\n\r\n", ""},
		{5, "GET /a/b..c?x=.. HTTP/1.1\r\n\r\n", ""},
		{8, "GET / HTTP/1.1\r\nHost : localhost\r\n\r\n", "space before its colon"},
		{8, "GET / HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n", "has no colon"},
		{8, "GET / HTTP/1.1\r\nHost: localhost\r\n folded: value\r\n\r\n", "folded line"},
		{8, "GET / HTTP/1.1\r\n\r\n", "no Host header"},
		{8, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "2 Host headers"},
		{8, "GET / HTTP/1.0\r\n\r\n", ""},
		{8, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", `Content-Length "-1" is not plain digits`},
		{8, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", `Content-Length "+3" is not plain digits`},
		{8, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", "Content-Length comes 2 times"},
		{8, "GET /form?firstname=John&food=Sushi HTTP/1.1\r\nHost: localhost\r\n\r\n", ""},
	}
	for _, c := range cases {
		got := requestProblem([]byte(c.req), c.stage)
		switch {
		case c.want == "" && got != "":
			t.Errorf("stage %d, %q: want no problem, got %q", c.stage, c.req, got)
		case !strings.Contains(got, c.want):
			t.Errorf("stage %d, %q: want a problem saying %q, got %q", c.stage, c.req, c.want, got)
		}
	}
}

// testStatusHints: the hint for a wrong status names the mistake that the
// request and the two codes point to, and a function of that stage.
func testStatusHints(t *testing.T) {
	cases := []struct {
		stage     int
		req       string
		want, got int
		says      []string
		not       []string
	}{
		{4, "GET /nope.html HTTP/1.1\r\n\r\n", 404, 200, []string{"does serve() look at the path"}, nil},
		{3, "GET /nope.html HTTP/1.1\r\n\r\n", 404, 200, []string{"does handle() look at the path"}, nil},
		{5, "GET /link.txt HTTP/1.1\r\n\r\n", 404, 200, []string{"serve() served something", "symlink"}, nil},
		{9, "GET /link.txt HTTP/1.1\r\n\r\n", 404, 200, []string{"the handler served something"}, []string{"serve()"}},
		{5, "GET /f.txt HTTP/1.1\r\n\r\n", 200, 404, []string{"does the path map to the right file"}, nil},
		{5, "GET /my%20f.txt HTTP/1.1\r\n\r\n", 200, 404, []string{`"/my%20f.txt" names the file "/my f.txt"`, "url.PathUnescape"}, nil},
		{5, "GET /q.txt?a=1 HTTP/1.1\r\n\r\n", 200, 404, []string{`the query string ("?a=1")`}, nil},
		{5, "GET /d/ HTTP/1.1\r\n\r\n", 200, 404, []string{"serve the index.html inside it."}, []string{"list"}},
		{6, "GET /d/ HTTP/1.1\r\n\r\n", 200, 404, []string{"or list the folder"}, nil},
		{5, "GET /100%25-x.txt HTTP/1.1\r\n\r\n", 200, 400, []string{"decode the path exactly once", `"/100%-x.txt"`}, nil},
		{5, "GET /%252e%252e/s.txt HTTP/1.1\r\n\r\n", 404, 400, []string{"decode the path exactly once"}, nil},
		{5, "GET /ok.txt HTTP/1.1\r\n\r\n", 200, 400, []string{"well-formed, yet the server called it a bad request", "in handle() or serve()"}, nil},
		{5, "GET /../s.txt HTTP/1.1\r\n\r\n", 400, 404, []string{`why 400: the path "/../s.txt" has a ".." segment`}, []string{"answered 200"}},
		{5, "GET /../s.txt HTTP/1.1\r\n\r\n", 400, 200, []string{"This server answered 200", "outside -dir"}, nil},
		{4, "GET  / HTTP/1.1\r\n\r\n", 400, 200, []string{"why 400:", "two spaces"}, []string{"does serve() look"}},
		{4, "DELETE /x HTTP/1.1\r\n\r\n", 405, 404, []string{"check the method before the path: DELETE"}, nil},
		{8, "POST /the_time HTTP/1.1\r\nHost: a\r\n\r\n", 405, 200, []string{"POST is not a method this path takes", "Allow"}, nil},
		{8, "POST /form HTTP/1.1\r\nHost: a\r\n\r\n", 200, 405, []string{"POST is a method this path takes", "Routes are looked at before the files"}, nil},
		{5, "POST /x HTTP/1.1\r\n\r\n", 200, 405, []string{"which methods does serve() allow"}, []string{"Routes"}},
		{8, "POST /form HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501, 400, []string{"Transfer-Encoding: chunked", "501 Not Implemented"}, []string{"method"}},
		{8, "POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n", 413, 200, []string{"Content-Length 99999999", "from the head alone"}, nil},
		{8, "GET /form?food=Tacos HTTP/1.1\r\nHost: a\r\n\r\n", 400, 200, []string{"should be refused with 400 Bad Request", "handle() or serve()"}, []string{"why 400", "does not parse"}},
		{4, "GET / HTTP/1.1\r\n\r\n", 206, 200, []string{"206 Partial Content: find where serve() chooses the status"}, nil},
		{9, "GET /p.txt HTTP/1.1\r\nIf-None-Match: W/\"x\"\r\n\r\n", 304, 200, []string{"304 Not Modified", "ETag"}, []string{"redirect"}},
		{9, "GET /p.txt HTTP/1.1\r\nIf-Match: W/\"x\"\r\n\r\n", 412, 200, []string{"412 Precondition Failed", "13.2.2"}, []string{"look at the request at all"}},
		{9, "GET /d HTTP/1.1\r\n\r\n", 301, 200, []string{"a redirect needs"}, nil},
	}
	for _, c := range cases {
		ex := &exchange{via: "send", pieces: [][]byte{[]byte(c.req)}}
		h := statusHint(ex, c.want, c.got, c.stage)
		for _, w := range c.says {
			if !strings.Contains(h, w) {
				t.Errorf("stage %d, %q, want %d got %d: the hint should say %q; it says %q", c.stage, c.req, c.want, c.got, w, h)
			}
		}
		// No hint cites what the student does not have: a README table,
		// or handle() as the answer's function once serve() took that job
		// (stage 4's handle() still refuses a request that does not parse).
		for _, w := range append(c.not, "README", "table of") {
			if strings.Contains(h, w) {
				t.Errorf("stage %d, %q, want %d got %d: the hint should not say %q; it says %q", c.stage, c.req, c.want, c.got, w, h)
			}
		}
		if c.stage >= 5 && strings.Contains(h, "handle()") && !strings.Contains(h, "handle() or serve()") {
			t.Errorf("stage %d: the hint names handle(), which does not choose the answer from stage 4 on: %q", c.stage, h)
		}
	}
}

// testWellformedHints: a wrong Date or Content-Length gets the hint of the
// mistake its numbers point to.
func testWellformedHints(t *testing.T) {
	now := time.Now()
	head := func(date, length string) string {
		return "HTTP/1.1 200 OK\r\nDate: " + date + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + length + "\r\nConnection: close\r\n\r\n"
	}
	gmt := func(d time.Duration) string { return now.Add(d).UTC().Format(imfFixdate) }
	cases := []struct {
		name, req, raw string
		says           []string
	}{
		{"local time ahead", "GET / HTTP/1.1\r\n\r\n", head(gmt(time.Hour), "2") + "ok", []string{"Date is 1 h ahead of the grader's clock", "UTC() before Format"}},
		{"local time behind", "GET / HTTP/1.1\r\n\r\n", head(gmt(-5*time.Hour-45*time.Minute), "2") + "ok", []string{"Date is 5 h 45 min behind"}},
		{"half an hour", "GET / HTTP/1.1\r\n\r\n", head(gmt(30*time.Minute), "2") + "ok", []string{"Date is 30 min ahead of"}},
		{"a slow clock", "GET / HTTP/1.1\r\n\r\n", head(gmt(-7*time.Minute), "2") + "ok", []string{`time.Now().UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")`}},
		{"zone UTC", "GET / HTTP/1.1\r\n\r\n", head(strings.Replace(gmt(0), "GMT", "UTC", 1), "2") + "ok", []string{"the zone is written GMT", "time.RFC1123"}},
		{"length in characters", "GET /hello/caf%C3%A9 HTTP/1.1\r\n\r\n", head(gmt(0), "5") + "café\n", []string{"Content-Length 5 is the number of characters; the body has 6 bytes"}},
		{"length of the name", "GET /big.bin HTTP/1.1\r\n\r\n", head(gmt(0), "7") + strings.Repeat("x", 20), []string{`the length of the file's name, "big.bin"`}},
		{"one Read of a file", "GET /big.bin HTTP/1.1\r\n\r\n", head(gmt(0), "100000") + strings.Repeat("x", 32768), []string{"exactly 32768 bytes came, one buffer's worth", "io.Copy"}},
		{"cut short", "GET /a HTTP/1.1\r\n\r\n", head(gmt(0), "100") + "short", []string{"the body stopped short of its Content-Length"}},
		{"too long", "GET /a HTTP/1.1\r\n\r\n", head(gmt(0), "3") + "longer", []string{"Content-Length is the number of body bytes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex := &exchange{via: "send", pieces: [][]byte{[]byte(c.req)}, response: []byte(c.raw), end: endEOF, timeout: time.Second}
			f, err := checkWellformed(&checkEnv{now: now, stage: 5}, ex, nil)
			if err != nil || f == nil {
				t.Fatalf("want a failure, got %v, %v", f, err)
			}
			text := strings.Join(f.hints, "\n")
			for _, w := range c.says {
				if !strings.Contains(text, w) {
					t.Errorf("want %q in the hints:\n%s", w, text)
				}
			}
		})
	}
}
