package testscripts

// TestHarness proves the grader can fail: each script of testdata/selftest
// runs against a fake server (good or broken), and a script that holds a
// want-failure file must fail with every line of that file somewhere in
// its output. A script with a stage file is graded as that stage (stage
// 4 on: hints name serve()). The checks and text helpers are also tested
// directly.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"
)

func TestHarness(t *testing.T) {
	t.Run("scripts", testSelfScripts)
	t.Run("wellformed", testWellformedCases)
	t.Run("text", testTextHelpers)
	t.Run("discover", testDiscover)
	t.Run("hints", testHints)
}

// cmdFake is `fake MODE`, for the self-test only: an in-process fake
// server, with PORT, HOSTPORT and URL set as serve sets them.
func cmdFake(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: fake MODE")
	}
	f, err := startFake(args[0], io.Discard)
	ts.Check(err)
	ts.Defer(f.close)
	port := fmt.Sprint(f.port())
	ts.Setenv("PORT", port)
	ts.Setenv("HOSTPORT", "127.0.0.1:"+port)
	ts.Setenv("URL", "http://127.0.0.1:"+port)
}

func testSelfScripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "selftest", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no self-test scripts in testdata/selftest (%v)", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	self := &suite{name: "selftest", stage: "selftest", prog: &program{bin: exe, env: []string{fakeStageEnv + "=1"}, hasMain: true, buildOK: true, ref: "selftest"}}
	selfWB := &workbook{root: root}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if runtime.GOOS == "windows" && strings.Contains(name, "sigint") {
				t.Skip("no SIGINT on Windows")
			}
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			s := self
			for _, f := range ar.Files {
				switch f.Name {
				case "want-failure":
					want = strings.Split(strings.TrimSpace(string(f.Data)), "\n")
				case "stage": // grade as this stage, for the functions hints name
					s = &suite{name: self.name, stage: strings.TrimSpace(string(f.Data)), prog: self.prog}
				}
			}
			p := selfWB.scriptParams(s, "selftest", time.Time{}, nil)
			p.Dir, p.Files = "", []string{file}
			p.Cmds["fake"] = cmdFake
			start := time.Now()
			ct := &captureT{}
			testscript.RunT(ct, p)
			out := ct.log.String()
			switch {
			case ct.skipped:
				t.Fatalf("script skipped:\n%s", out)
			case want == nil && ct.failed:
				t.Fatalf("script should pass, but failed:\n%s", out)
			case want != nil && !ct.failed:
				t.Fatalf("script should fail, but passed:\n%s", out)
			}
			for _, w := range want {
				if w = strings.TrimSpace(w); w != "" && !strings.Contains(out, w) {
					t.Errorf("the failure does not say %q; it says:\n%s", w, out)
				}
			}
			if testing.Verbose() {
				t.Logf("(%v)\n%s", time.Since(start).Round(time.Millisecond), out)
			}
		})
	}
}

// testWellformedCases runs the strict check on handmade responses.
func testWellformedCases(t *testing.T) {
	now := time.Now()
	date := "Date: " + now.UTC().Format(imfFixdate) + "\r\n"
	good := "HTTP/1.1 200 OK\r\n" + date + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
	cases := []struct {
		name, raw string
		end       endReason
		want      []string // substrings of the failure; nil = must pass
	}{
		{"good", good, endEOF, nil},
		{"empty", "", endEOF, []string{"got no bytes at all"}},
		{"http10", strings.Replace(good, "HTTP/1.1", "HTTP/1.0", 1), endEOF,
			[]string{`expected "1" here`, `"HTTP/1.0 200 OK\r\n"`, "\n          ^"}},
		{"no reason space", strings.Replace(good, "200 OK", "200", 1), endEOF, []string{"expected a space after the status code"}},
		{"lf status line", strings.Replace(good, "OK\r\n", "OK\n", 1), endEOF,
			[]string{"expected CRLF here", "bare LF", `"HTTP/1.1 200 OK\n"`, "\n                  ^ expected CRLF"}},
		{"lf blank line", strings.Replace(good, "close\r\n\r\n", "close\r\n\n", 1), endEOF, []string{"expected CRLF here"}},
		{"cr alone", strings.Replace(good, "OK\r\n", "OK\rX", 1), endEOF, []string{`expected "\n" after this "\r"`}},
		{"space before colon", strings.Replace(good, "Content-Type:", "Content-Type :", 1), endEOF, []string{"no space allowed between a header name and its colon"}},
		{"no colon", strings.Replace(good, "Connection: close", "Connection close", 1), endEOF, []string{"no space allowed"}},
		{"head never ends", "HTTP/1.1 200 OK\r\n" + date, endTimeout, []string{"ended before the blank line"}},
		{"no date", strings.Replace(good, date, "", 1), endEOF, []string{"expected a Date header, found none"}},
		{"bad date", strings.Replace(good, date, "Date: "+now.UTC().Format(time.RFC1123Z)+"\r\n", 1), endEOF, []string{"IMF-fixdate", "time.Now().UTC()"}},
		{"old date", strings.Replace(good, date, "Date: "+now.Add(-time.Hour).UTC().Format(imfFixdate)+"\r\n", 1), endEOF, []string{"but the grader's clock says"}},
		{"no content-type", strings.Replace(good, "Content-Type: text/plain; charset=utf-8\r\n", "", 1), endEOF, []string{"expected a Content-Type header"}},
		{"no length", strings.Replace(good, "Content-Length: 5\r\n", "", 1), endEOF, []string{"expected a Content-Length header"}},
		{"two lengths", strings.Replace(good, "Content-Length: 5\r\n", "Content-Length: 5\r\nContent-Length: 5\r\n", 1), endEOF, []string{"appears 2 times"}},
		{"length not digits", strings.Replace(good, "Content-Length: 5", "Content-Length: +5", 1), endEOF, []string{"digits only"}},
		{"length too large", strings.Replace(good, "Content-Length: 5", "Content-Length: 57", 1), endEOF,
			[]string{"Content-Length says 57 but 5 body bytes arrived before the server closed the connection", "len()"}},
		{"length too small", strings.Replace(good, "Content-Length: 5", "Content-Length: 3", 1), endEOF, []string{"Content-Length says 3 but 5 body bytes arrived"}},
		{"no connection close", strings.Replace(good, "Connection: close\r\n", "", 1), endEOF, []string{"Connection: close"}},
		{"keep-alive", strings.Replace(good, "Connection: close\r\n", "", 1), endFramed, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex := &exchange{via: "send", pieces: [][]byte{[]byte("GET / HTTP/1.1\r\n\r\n")}, response: []byte(c.raw), end: c.end, timeout: time.Second}
			f, err := checkWellformed(&checkEnv{now: now}, ex, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.want == nil {
				if f != nil {
					t.Fatalf("want no failure, got %q", f.lines)
				}
				return
			}
			if f == nil {
				t.Fatalf("want a failure saying %q, got none", c.want)
			}
			text := strings.Join(append(f.lines, f.hints...), "\n")
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("want %q in:\n%s", w, text)
				}
			}
		})
	}
}

func testTextHelpers(t *testing.T) {
	got, err := unescape(`GET / HTTP/1.1\r\nA:\t\\\x41\0`)
	if want := "GET / HTTP/1.1\r\nA:\t\\A\x00"; err != nil || string(got) != want {
		t.Errorf("unescape = %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{`\q`, `\x4`, `\xzz`, `end\`} {
		if _, err := unescape(bad); err == nil {
			t.Errorf("unescape(%q) should fail", bad)
		}
	}
	if got, want := printfArg([]byte("GET /a%b'c HTTP/1.1\r\n\x00\xff\\")), `'GET /a%%b'\''c HTTP/1.1\r\n\000\377\\'`; got != want {
		t.Errorf("printfArg = %s, want %s", got, want)
	}
	big := make([]byte, 5000)
	if q := quoteTrunc(big); !strings.Contains(q, "(5000 bytes in all)") || len(q) > 2500 {
		t.Errorf("quoteTrunc of 5000 bytes: %d chars: %.80s…", len(q), q)
	}
	other := append([]byte(nil), big...)
	other[4000] = 1
	d := strings.Join(describeDiff("body", big, other), "\n")
	if !strings.Contains(d, "differ from byte 4000") || len(d) > 300 {
		t.Errorf("describeDiff: %s", d)
	}
	c := caretBlock([]byte("ab\ncd\r\n"), 5, "here")
	if want := []string{`  "ab\n"`, `  "cd\r\n"`, `     ^ here`}; strings.Join(c, "|") != strings.Join(want, "|") {
		t.Errorf("caretBlock = %q, want %q", c, want)
	}
	if got, want := printable("a\x1b[2Jb\x00\xff\tc"), "a␛[2Jb␀⟨0xff⟩\tc"; got != want {
		t.Errorf("printable = %q, want %q", got, want)
	}
	if got, want := string(escapeControls([]byte("GET /\x1b[2J\r\n"))), `GET /\x1b[2J`+"\r\n"; got != want {
		t.Errorf("escapeControls = %q, want %q", got, want)
	}
	if !isBinary([]byte("\x89PNG\r\n\x1a\n\x00\x00")) || isBinary([]byte("café\n")) {
		t.Errorf("isBinary: a PNG is binary, UTF-8 text is not")
	}
	if c := caretBlock([]byte(strings.Repeat("a", 5000)+"\n"), 4000, "here"); len(c[0]) > 200 || !strings.HasSuffix(c[1], "^ here") {
		t.Errorf("caretBlock of a long line should show a window: %q", c)
	}
	ex := &exchange{pieces: [][]byte{[]byte("GE"), []byte("T / HTTP/1.1\r\n\r\n")}}
	if s := ex.subject(); s != "GET /" {
		t.Errorf("subject = %q", s)
	}
	if n := ncCommand(ex.pieces, "127.0.0.1", "80"); n != `(printf 'GE'; sleep 1; printf 'T / HTTP/1.1\r\n\r\n') | nc 127.0.0.1 80` {
		t.Errorf("ncCommand = %s", n)
	}
}

func testDiscover(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	write("stage10_last/go.mod", "module x\n")
	write("stage10_last/main.go", "package main\n")
	write("stage2_b/go.mod", "module x\n")
	write("stage2_b/lib.go", "package lib\n")
	write("final/go.mod", "module x\n")
	write("final/main.go", "// a comment first\npackage main\n")
	write("stage3_nomod/main.go", "package main\n")
	write("notes/go.mod", "module x\n")
	write("copy/go.mod", "module x\n")
	write("copy/main.go", "package main\n")

	write("testscripts/testdata/stage10_last/a.txtar", "")
	write("testscripts/testdata/final/01-one/a.txtar", "")
	write("testscripts/testdata/final/02-two/b.txtar", "")
	write("stage10_last/ex/main.go", "package main\n")
	write("testscripts/testdata/stage10_last/ex/c.txtar", "")

	w, err := openWorkbook(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(w.stages, " "), "stage2_b stage10_last final"; got != want {
		t.Errorf("stages = %s, want %s", got, want)
	}
	if got, want := strings.Join(w.targets(), " "), "stage2_b stage10_last stage10_last/ex final final/01-one final/02-two"; got != want {
		t.Errorf("targets = %s, want %s", got, want)
	}
	found, err := w.reference(nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range found {
		got = append(got, fmt.Sprintf("%s:%v:%s", s.name, s.prog.hasMain, strings.Join(s.dirs, ",")))
	}
	want := "stage2_b:false: stage10_last:true:stage10_last stage10_last/ex:true:stage10_last/ex " +
		"final/01-one:true:final/01-one final/02-two:true:final/02-two " +
		"final-eventloop:true:final/01-one,final/02-two final-poll:true:final/01-one,final/02-two final-sequential:true:final/01-one,final/02-two"
	if strings.Join(got, " ") != want {
		t.Errorf("reference suites =\n%s\nwant\n%s", strings.Join(got, " "), want)
	}

	over, err := w.parseOverride("stage2_b=copy", dir)
	if err != nil {
		t.Fatalf("WORKBOOK_GRADE=stage2_b=copy: %v", err)
	}
	if found, err = w.reference(over); err != nil {
		t.Fatal(err)
	} else if found[0].prog.src != filepath.Join(dir, "copy") || !found[0].prog.hasMain || found[0].prog.ref != "" {
		t.Errorf("WORKBOOK_GRADE=stage2_b=copy: src %s, main %v", found[0].prog.src, found[0].prog.hasMain)
	}
	for _, bad := range []string{"stage9_x=copy", "stage2_b", "stage2_b=notes/none"} {
		if _, err := w.parseOverride(bad, dir); err == nil || !strings.Contains(err.Error(), "WORKBOOK_GRADE") {
			t.Errorf("WORKBOOK_GRADE=%s: want an error naming WORKBOOK_GRADE, got %v", bad, err)
		}
	}

	words, err := splitWords(`python3 "my server.py" {port} --x='a b'`)
	if want := []string{"python3", "my server.py", "{port}", "--x=a b"}; err != nil || !slices.Equal(words, want) {
		t.Errorf("splitWords = %q, %v; want %q", words, err, want)
	}
	p := &program{argv: words}
	if got, want := p.command([]string{"-bind", "::1", "0"}), []string{"python3", "my server.py", "-bind", "::1", "0", "--x=a b"}; !slices.Equal(got, want) {
		t.Errorf("command = %q, want %q", got, want)
	}
}
