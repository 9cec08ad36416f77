package testscripts

// Python's urllib.request and http.client against the stages, through
// testdata/clients/basics.py: GET, HEAD, the form with POST, and two GETs
// on one http.client connection.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

type pyOp struct {
	Lib     string            `json:"lib"`
	Method  string            `json:"method,omitempty"`
	Path    string            `json:"path,omitempty"`
	Data    *string           `json:"data,omitempty"`
	Paths   []string          `json:"paths,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
}

type pyResult struct {
	Status    int         `json:"status"`
	Reason    string      `json:"reason"`
	Headers   [][2]string `json:"headers"`
	Body      string      `json:"body"`      // decompressed, if it came in gzip
	Length    int         `json:"length"`    // the body's length as it came
	Gunzipped bool        `json:"gunzipped"` // it came with Content-Encoding: gzip
	Error     string      `json:"error"`
	Responses []pyResult  `json:"responses"` // keepalive
	Reused    bool        `json:"reused"`
}

func (r pyResult) header(name string) string {
	for _, h := range r.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

// String shows a result for a failure message: the status line, the
// headers and the body, or the error.
func (r pyResult) String() string {
	if r.Error != "" {
		return "error " + r.Error
	}
	if r.Responses != nil {
		var parts []string
		for _, rr := range r.Responses {
			parts = append(parts, rr.String())
		}
		return fmt.Sprintf("reused one connection: %v\n  %s", r.Reused, strings.Join(parts, "\n  "))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s\n", r.Status, r.Reason)
	for _, h := range r.Headers {
		fmt.Fprintf(&b, "    %s: %s\n", h[0], h[1])
	}
	fmt.Fprintf(&b, "    body: %q", clCut(r.Body, 600))
	return b.String()
}

func (op pyOp) String() string {
	switch op.Lib {
	case "keepalive":
		return "http.client, one connection: GET " + strings.Join(op.Paths, ", GET ")
	case "revalidate":
		return fmt.Sprintf("http.client, one connection: GET %s with %v, then again with If-None-Match: its ETag", op.Path, op.Headers)
	}
	s := op.Lib + " " + op.Method + " " + op.Path
	if op.Data != nil {
		s += " with body " + strconv.Quote(*op.Data)
	}
	if op.Headers != nil {
		s += fmt.Sprintf(" with headers %v", op.Headers)
	}
	return s
}

// runPython runs basics.py with the ops and returns one result per op.
func runPython(t *testing.T, python, base string, ops []pyOp) []pyResult {
	t.Helper()
	spec, _ := json.Marshal(map[string]any{"base": base, "ops": ops})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	script := filepath.Join(root, "testscripts", "testdata", "clients", "basics.py")
	cmd := exec.CommandContext(ctx, python, script)
	cmd.Stdin = strings.NewReader(string(spec))
	cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8", "NO_PROXY=*", "no_proxy=*")
	out, err := cmd.Output()
	var res []pyResult
	if err == nil {
		err = json.Unmarshal(out, &res)
	}
	if err != nil || len(res) != len(ops) {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("python3 %s: %v\n  input: %s\n  stdout: %s\n  stderr: %s", script, err, spec, clCut(string(out), 2000), stderr)
	}
	return res
}

func pyData(s string) *string { return &s }

func pythonStage(t *testing.T, python string, s clientStage) {
	cs := startStage(t, s)
	second := "/sample.txt"
	if !s.files() {
		second = "/"
	}
	ops := []pyOp{
		{Lib: "urllib", Method: "GET", Path: "/"},
		{Lib: "http.client", Method: "GET", Path: "/"},
		{Lib: "http.client", Method: "HEAD", Path: "/"},
		{Lib: "urllib", Method: "POST", Path: "/form", Data: pyData(formQuery)},
		{Lib: "http.client", Method: "POST", Path: "/form", Data: pyData(formQuery)},
		{Lib: "keepalive", Paths: []string{"/", second}},
	}
	if s.final() {
		gzip := map[string]string{"Accept-Encoding": "gzip"}
		ops = append(ops, pyOp{Lib: "urllib", Method: "POST", Path: "/cgi-bin/food.sh", Data: pyData(formQuery)},
			pyOp{Lib: "urllib", Method: "GET", Path: "/style.css", Headers: gzip},
			pyOp{Lib: "revalidate", Path: "/", Headers: gzip})
	}
	res := runPython(t, python, cs.url, ops)
	fail := func(i int, format string, args ...any) {
		t.Helper()
		t.Errorf("python %s (%s): %s\n  got: %s", ops[i], cs.url, fmt.Sprintf(format, args...), res[i])
	}
	want := func(i, status int, body string) bool {
		t.Helper()
		r := res[i]
		switch {
		case r.Error != "":
			fail(i, "should get a %d response, got an error", status)
		case r.Status != status:
			fail(i, "should get status %d, got %d", status, r.Status)
		case !strings.Contains(r.Body, body):
			fail(i, "the body should contain %q", body)
		default:
			return true
		}
		return false
	}

	index := helloH1
	if s.files() {
		index = "<title>HTTP workbook sample site</title>"
	}
	want(0, 200, index)
	want(1, 200, index)

	switch {
	case s.n == 3:
		want(2, 200, "")
	case !s.final():
		if want(2, 405, "") && !strings.Contains(res[2].header("Allow"), "GET") {
			fail(2, "a 405 should list the methods that work in Allow")
		}
	default:
		if want(2, 200, "") {
			info, err := os.Stat(filepath.Join(cs.root, "index.html"))
			if res[2].Body != "" || err != nil || res[2].header("Content-Length") != strconv.FormatInt(info.Size(), 10) {
				fail(2, "HEAD should have no body and the Content-Length of index.html")
			}
		}
	}

	for _, i := range []int{3, 4} {
		switch {
		case s.n == 3:
			want(i, 200, helloH1)
		case !s.form():
			want(i, 405, "405 Method Not Allowed")
		default:
			want(i, 200, formAnswer)
		}
	}

	if r := res[5]; r.Error != "" || len(r.Responses) != 2 {
		fail(5, "should get two responses")
	} else {
		for _, rr := range r.Responses {
			if rr.Status != 200 {
				fail(5, "both should answer 200")
			}
		}
		if r.Reused != s.final() {
			fail(5, "reused one connection: got %v, want %v (only final keeps connections alive)", r.Reused, s.final())
		}
	}

	if s.final() {
		want(6, 200, formAnswer)
		pythonGzip(t, cs, ops[7:], res[7:])
	}
}

// pythonGzip: with Accept-Encoding: gzip, final's answers come compressed
// (the CSS in fewer bytes, decoding to the file) and revalidate: the
// ETag sent back in If-None-Match gets a 304.
func pythonGzip(t *testing.T, cs *clientServer, ops []pyOp, res []pyResult) {
	t.Helper()
	css, _ := os.ReadFile(filepath.Join(cs.root, "style.css"))
	if r := res[0]; r.Status != 200 || !r.Gunzipped || r.Body != string(css) || r.Length >= len(css) || r.header("Vary") != "Accept-Encoding" {
		t.Errorf("python %s (%s): should get style.css compressed, with Vary: Accept-Encoding, in fewer than its %d bytes, decoding to the file\n  got: %s", ops[0], cs.url, len(css), r)
	}
	index, _ := os.ReadFile(filepath.Join(cs.root, "index.html"))
	r := res[1]
	ok := r.Error == "" && len(r.Responses) == 2 && r.Reused
	if ok {
		first, second := r.Responses[0], r.Responses[1]
		ok = first.Status == 200 && first.Gunzipped && first.Body == string(index) && first.header("ETag") != "" &&
			second.Status == 304 && second.header("ETag") == first.header("ETag") && second.Length == 0
	}
	if !ok {
		t.Errorf("python %s (%s): should get the index compressed with an ETag, then 304 with the same ETag\n  got: %s", ops[1], cs.url, r)
	}
}

// pythonStage2: both libraries raise BadStatusLine on a reply that does not
// start with "HTTP/".
func pythonStage2(t *testing.T, python string, s clientStage) []outcome {
	cs := startStage(t, s)
	ops := []pyOp{
		{Lib: "http.client", Method: "GET", Path: "/"},
		{Lib: "urllib", Method: "GET", Path: "/"},
	}
	res := runPython(t, python, cs.url, ops)
	rows := []string{"Python `http.client`", "Python `urllib.request`"}
	var got []outcome
	for i, r := range res {
		if !strings.HasPrefix(r.Error, "BadStatusLine: ") {
			t.Errorf("python %s (%s): should raise http.client.BadStatusLine, got %+v", ops[i], cs.url, r)
			continue
		}
		got = append(got, outcome{rows[i], "`BadStatusLine`"})
	}
	return got
}
