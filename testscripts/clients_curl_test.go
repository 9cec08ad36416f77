package testscripts

// curl against the stages: -v to see the exchange, several URLs on one
// command line (one connection for all of them on final, a new one each
// for the stages that close), -I for HEAD, --data for a form, -r for a
// range.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A curlRun is one curl command and what came of it.
type curlRun struct {
	cmd            string // as a student would type it
	stdout, stderr string
	code           int
	statuses       []string            // "HTTP/1.1 200 OK", one a response, from -v's "< " lines
	headers        []map[string]string // each response's headers, names in lower case
}

func runCurl(t *testing.T, prog string, args ...string) *curlRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := &curlRun{cmd: "curl " + strings.Join(quoteAll(args), " "), stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("%s: %v", r.cmd, err)
	}
	for _, line := range strings.Split(r.stderr, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "< HTTP/"):
			r.statuses = append(r.statuses, line[2:])
			r.headers = append(r.headers, map[string]string{})
		case strings.HasPrefix(line, "< ") && len(r.headers) > 0:
			if k, v, ok := strings.Cut(line[2:], ":"); ok {
				r.headers[len(r.headers)-1][strings.ToLower(k)] = strings.TrimSpace(v)
			}
		}
	}
	return r
}

// fail reports what was wrong with a curl run, with the command to try and
// what curl printed.
func (r *curlRun) fail(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Errorf("curl: %s\n  try it:  %s\n  exit status %d\n  stderr:\n%s\n  stdout: %q",
		fmt.Sprintf(format, args...), r.cmd, r.code, clIndent(clLastN(r.stderr, 40)), clCut(r.stdout, 600))
}

// want checks that curl succeeded and the i-th response had the status.
func (r *curlRun) want(t *testing.T, i int, status string) bool {
	t.Helper()
	if r.code != 0 {
		r.fail(t, "should succeed (exit status 0)")
		return false
	}
	if i >= len(r.statuses) || !strings.HasPrefix(r.statuses[i], "HTTP/1.1 "+status) {
		r.fail(t, "response %d should have the status line HTTP/1.1 %s; status lines: %q", i+1, status, r.statuses)
		return false
	}
	return true
}

func curlStage(t *testing.T, curl string, s clientStage) {
	cs := startStage(t, s)
	base := []string{"-sS", "-v", "--http1.1", "--max-time", "20"}
	curlArgs := func(more ...string) []string { return append(append([]string{}, base...), more...) }

	// The index.
	r := runCurl(t, curl, curlArgs(cs.url+"/")...)
	if r.want(t, 0, "200") {
		wantBody := helloH1
		if s.files() {
			wantBody = "<title>HTTP workbook sample site</title>"
		}
		if !strings.Contains(r.stdout, wantBody) {
			r.fail(t, "the body should contain %q", wantBody)
		}
		if ct := r.headers[0]["content-type"]; ct != "text/html; charset=utf-8" {
			r.fail(t, "Content-Type should be text/html; charset=utf-8, got %q", ct)
		}
		if c := r.headers[0]["connection"]; !s.final() && c != "close" {
			r.fail(t, "stages 3–8 close every connection: Connection: close, got %q", c)
		}
	}

	// Several URLs on one command line: curl asks for each in turn, on
	// the same connection if the server keeps it open.
	type want struct{ path, status, ctype string }
	var wants []want
	switch {
	case !s.files() && s.n == 3:
		wants = []want{{"/", "200", "text/html; charset=utf-8"}, {"/anything", "200", "text/html; charset=utf-8"}}
	case !s.files():
		wants = []want{{"/", "200", "text/html; charset=utf-8"}, {"/nope.html", "404", "text/html; charset=utf-8"}}
	case !s.mime():
		wants = []want{{"/", "200", "text/html; charset=utf-8"}, {"/sample.txt", "200", "text/html; charset=utf-8"},
			{"/images/gopher.png", "200", "text/html; charset=utf-8"}, {"/nope.html", "404", "text/html; charset=utf-8"}}
	default:
		wants = []want{{"/", "200", "text/html; charset=utf-8"}, {"/sample.txt", "200", "text/plain; charset=utf-8"},
			{"/images/gopher.png", "200", "image/png"}, {"/nope.html", "404", "text/html; charset=utf-8"}}
	}
	args := curlArgs("-w", `%{http_code} %{num_connects} %{size_download} %{content_type}\n`)
	for _, w := range wants {
		args = append(args, "-o", os.DevNull, cs.url+w.path)
	}
	r = runCurl(t, curl, args...)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != len(wants) {
		r.fail(t, "should succeed and answer all %d URLs", len(wants))
	} else {
		for i, w := range wants {
			f := strings.SplitN(lines[i], " ", 4)
			if len(f) < 4 {
				r.fail(t, "unexpected -w output %q", lines[i])
				continue
			}
			if f[0] != w.status {
				r.fail(t, "%s should answer %s, got %s", w.path, w.status, f[0])
			}
			if f[3] != w.ctype {
				r.fail(t, "%s should have Content-Type %q, got %q", w.path, w.ctype, f[3])
			}
			if s.files() && w.status == "200" && w.path != "/" {
				if info, err := os.Stat(filepath.Join(cs.root, w.path)); err == nil && strconv.FormatInt(info.Size(), 10) != f[2] {
					r.fail(t, "%s should have %d bytes, got %s", w.path, info.Size(), f[2])
				}
			}
			// num_connects: the connections this transfer had to open.
			wantConnects := "1"
			if s.final() && i > 0 {
				wantConnects = "0"
			}
			if f[1] != wantConnects {
				r.fail(t, "%s: curl should have opened %s new connection(s) for it, opened %s (keep-alive only on final)", w.path, wantConnects, f[1])
			}
		}
		if s.final() && !strings.Contains(r.stderr, "Re-using existing connection") {
			r.fail(t, "final keeps connections alive: curl -v should say \"Re-using existing connection\"")
		}
	}

	// HEAD. Stage 3 answers everything with its page; stages 4–8 know
	// only GET (and POST on stage 8) and say so with 405 and Allow.
	r = runCurl(t, curl, curlArgs("-I", cs.url+"/")...)
	switch {
	case s.n == 3:
		r.want(t, 0, "200")
	case !s.final():
		if r.want(t, 0, "405") && !strings.Contains(r.headers[0]["allow"], "GET") {
			r.fail(t, "a 405 should list the methods that work in Allow, got %q", r.headers[0]["allow"])
		}
	default:
		if r.want(t, 0, "200") {
			info, _ := os.Stat(filepath.Join(cs.root, "index.html"))
			if cl := r.headers[0]["content-length"]; info == nil || cl != strconv.FormatInt(info.Size(), 10) {
				r.fail(t, "HEAD should announce the length of index.html, got Content-Length %q", cl)
			}
			if strings.Contains(r.stdout, "<html") {
				r.fail(t, "HEAD should have no body")
			}
		}
	}

	// The food form, POSTed as a browser sends it.
	r = runCurl(t, curl, curlArgs("--data", formQuery, cs.url+"/form")...)
	switch {
	case s.n == 3:
		if r.want(t, 0, "200") && !strings.Contains(r.stdout, helloH1) {
			r.fail(t, "stage 3 answers every request with its page")
		}
	case !s.form():
		if r.want(t, 0, "405") && strings.Contains(r.headers[0]["allow"], "POST") {
			r.fail(t, "Allow should not list POST before stage 8, got %q", r.headers[0]["allow"])
		}
	default:
		if r.want(t, 0, "200") && !strings.Contains(r.stdout, formAnswer) {
			r.fail(t, "the answer should contain %q", formAnswer)
		}
		cs.logged(t, "curl --data", `"POST /form HTTP/1\.1" 200`)
	}
	if s.final() {
		r = runCurl(t, curl, curlArgs("--data", formQuery, cs.url+"/cgi-bin/food.sh")...)
		if r.want(t, 0, "200") && !strings.Contains(r.stdout, formAnswer) {
			r.fail(t, "the CGI script's answer should contain %q", formAnswer)
		}

		// A range: the first ten bytes.
		r = runCurl(t, curl, curlArgs("-r", "0-9", cs.url+"/sample.txt")...)
		whole, _ := os.ReadFile(filepath.Join(cs.root, "sample.txt"))
		if r.want(t, 0, "206") {
			if r.stdout != string(whole[:10]) {
				r.fail(t, "the body should be the first 10 bytes of sample.txt, %q", whole[:10])
			}
			if want := fmt.Sprintf("bytes 0-9/%d", len(whole)); r.headers[0]["content-range"] != want {
				r.fail(t, "Content-Range should be %q, got %q", want, r.headers[0]["content-range"])
			}
		}
		curlFinal(t, curl, cs, curlArgs)
	}
}

// curlFinal: what chapter 5 of final adds, as curl shows it. --compressed
// asks for gzip and decodes it; --etag-save keeps the ETag of an answer
// and --etag-compare sends it back in If-None-Match; two ranges come in
// one multipart body.
func curlFinal(t *testing.T, curl string, cs *clientServer, curlArgs func(more ...string) []string) {
	for _, name := range []string{"index.html", "style.css"} {
		file, _ := os.ReadFile(filepath.Join(cs.root, name))
		r := runCurl(t, curl, curlArgs("--compressed", "-w", "%{size_download}", "-o", os.DevNull, cs.url+"/"+name)...)
		if !r.want(t, 0, "200") {
			continue
		}
		h := r.headers[0]
		n, err := strconv.Atoi(r.stdout) // size_download: the bytes that came, compressed
		if h["content-encoding"] != "gzip" || h["vary"] != "Accept-Encoding" || err != nil || n >= len(file) {
			r.fail(t, "%s should come compressed (Content-Encoding: gzip, Vary: Accept-Encoding), in fewer than its %d bytes", name, len(file))
		}
		r = runCurl(t, curl, curlArgs("--compressed", cs.url+"/"+name)...)
		if r.want(t, 0, "200") && r.stdout != string(file) {
			r.fail(t, "curl --compressed should print %s as it is on disk", name)
		}
	}

	etags := filepath.Join(t.TempDir(), "etags.txt")
	r := runCurl(t, curl, curlArgs("--compressed", "--etag-save", etags, "-o", os.DevNull, cs.url+"/")...)
	if r.want(t, 0, "200") {
		r = runCurl(t, curl, curlArgs("--compressed", "--etag-compare", etags, "-o", os.DevNull, cs.url+"/")...)
		if r.want(t, 0, "304") && !strings.Contains(r.stderr, "> If-None-Match: "+r.headers[0]["etag"]) {
			r.fail(t, "curl --etag-compare should send If-None-Match with the ETag it saved, %q, and get it back on the 304", r.headers[0]["etag"])
		}
	}

	r = runCurl(t, curl, curlArgs("-r", "0-9,20-29", cs.url+"/sample.txt")...)
	whole, _ := os.ReadFile(filepath.Join(cs.root, "sample.txt"))
	if r.want(t, 0, "206") {
		ct := r.headers[0]["content-type"]
		boundary, ok := strings.CutPrefix(ct, "multipart/byteranges; boundary=")
		want := fmt.Sprintf("--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-9/%d\r\n\r\n%s\r\n"+
			"--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 20-29/%d\r\n\r\n%s\r\n--%s--\r\n",
			boundary, len(whole), whole[:10], boundary, len(whole), whole[20:30], boundary)
		if !ok || r.stdout != want {
			r.fail(t, "two ranges should come as multipart/byteranges, got Content-Type %q; want the body %q", ct, want)
		}
	}
}

// curlStage2: curl refuses a reply without a status line, unless told
// --http0.9.
func curlStage2(t *testing.T, curl string, s clientStage) []outcome {
	cs := startStage(t, s)
	var got []outcome
	r := runCurl(t, curl, "-sS", cs.url+"/")
	const refusal = "Received HTTP/0.9 when not allowed"
	if r.code == 1 && strings.Contains(r.stderr, refusal) {
		got = append(got, outcome{"`curl`", "exit status 1, `" + refusal + "`"})
	} else {
		r.fail(t, "on a reply without a status line, curl should exit with status 1 and say %q", refusal)
	}
	r = runCurl(t, curl, "-sS", "--http0.9", cs.url+"/")
	if r.code == 0 && strings.Contains(r.stdout, helloH1) {
		got = append(got, outcome{"`curl --http0.9`", "prints the page"})
	} else {
		r.fail(t, "with --http0.9 curl should print the page")
	}
	return got
}

var curlNoise = regexp.MustCompile(`(?m)^\{ \[.*\n`)

func clLastN(s string, n int) string {
	s = curlNoise.ReplaceAllString(s, "")
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

func clIndent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

func clCut(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
