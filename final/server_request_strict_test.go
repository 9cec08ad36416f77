package main

// Request parsing, strictly and in linear time: what the request reader
// must refuse, and how soon, and that it looks at each byte it receives
// once, however the bytes are cut. The same cases go over real sockets,
// in every serving mode, in hostile_parsing_test.go.

import (
	"fmt"
	"strings"
	"testing"
)

// chunked is the head of a chunked POST.
const chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

// feedPoisoned feeds s to st a byte at a time, as a client that sends a
// byte per write makes the server read it, and checks that the reader
// looks at each byte once: after each read, every byte received and not
// yet taken is overwritten with poison(i), a byte that a reader looking
// at byte i of s again would trip over (a line end: an early end of the
// head or of a chunk line; a NUL: a bad request line), except before the
// bytes i for which restore(i), when the true bytes come back (a request
// line is parsed whole once it has ended, a head once it has, a chunk
// line once it has). It returns what the last byte made of it all.
func feedPoisoned(t *testing.T, st *connState, s string, restore func(i int) bool, poison func(i int) byte) (*request, int) {
	t.Helper()
	for i := range len(s) {
		start := i - len(st.buf) // st.buf holds s[start:i]
		if restore(i) {
			copy(st.buf, s[start:i])
		}
		st.buf = append(st.buf, s[i])
		req, status := st.nextRequest()
		if i == len(s)-1 {
			return req, status
		}
		if req != nil || status != 0 {
			t.Fatalf("byte %d of %d: status %d, request %v: the reader looked again at bytes it had seen", i, len(s), status, req)
		}
		start = i + 1 - len(st.buf)
		for j := range st.buf {
			st.buf[j] = poison(start + j)
		}
	}
	return nil, 0
}

// TestHeadLookedAtOnce (issue 14, item 4): a head arriving a byte at a
// time costs a look at each byte, not at the whole head on every read,
// which for a 32 KB head of 8,000 lines was a second of CPU. The
// benchmarks BenchmarkHeadByteByByte (per byte, at each head size) and
// BenchmarkSlowHead (CPU time per head, each server) show the cost.
func TestHeadLookedAtOnce(t *testing.T) {
	heads := map[string]string{
		"8000-lines":        "GET /small.txt HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("a:\r\n", 8000) + "\r\n",
		"one-long-header":   "GET /small.txt HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("x", 32000) + "\r\n\r\n",
		"long-request-line": "GET /" + strings.Repeat("x", maxLine-20) + " HTTP/1.1\r\nHost: a\r\n\r\n",
		"bare-lf":           "GET /small.txt HTTP/1.1\nHost: a\n" + strings.Repeat("a:\n", 1000) + "\n",
	}
	for name, head := range heads {
		t.Run(name, func(t *testing.T) {
			lineEnd := strings.IndexByte(head, '\n')
			restore := func(i int) bool { return i == lineEnd || i == len(head)-1 }
			poison := func(i int) byte {
				if i <= lineEnd {
					return 0 // in the request line: a byte no line may hold
				}
				return '\n' // after it: an empty line, the end of the head
			}
			var st connState
			req, status := feedPoisoned(t, &st, head, restore, poison)
			if req == nil || status != 0 || req.line != strings.TrimSuffix(head[:lineEnd], "\r") || len(st.buf) != 0 {
				t.Fatalf("the whole head: status %d, request %v, %d bytes left", status, req, len(st.buf))
			}
		})
	}
}

// TestChunkLineLookedAtOnce: the same for a chunked body's size line, here
// with 4,000 bytes of extension.
func TestChunkLineLookedAtOnce(t *testing.T) {
	var st connState
	st.buf = []byte(chunked)
	if req, status := st.nextRequest(); req != nil || status != 0 || st.req == nil {
		t.Fatalf("the head: status %d, %v", status, req)
	}
	sizeLine := "5;e=" + strings.Repeat("x", 4000) + "\r\n"
	restore := func(i int) bool { return i >= len(sizeLine)-1 }
	req, status := feedPoisoned(t, &st, sizeLine+"hello\r\n0\r\n\r\n", restore, func(int) byte { return '\n' })
	if req == nil || status != 0 || string(req.body) != "hello" {
		t.Fatalf("status %d, request %v", status, req)
	}
}

// TestRequestLineRules: which part of the request line each rule and each
// limit is about, and how soon a line that can't be valid is refused:
// at its first wrong byte, whether or not its end has come (issue 14,
// items 10, 12, 13, 14).
func TestRequestLineRules(t *testing.T) {
	const host = "Host: a\r\n\r\n"
	tests := []struct {
		in     string
		status int // -1: still waiting for more
		note   string
	}{
		{"\x16\x03\x01\x00\xa5\x01\x00", 400, "a TLS ClientHello: 0x16 is not a tchar (RFC 9110 §9.1)"},
		{"\x00\x00\x00\xa4\xff\x53\x4d\x42\r\n", 400, "binary, ending in a line end"},
		{"SSH-2.0-OpenSSH_9.6\r\n", 400, "a whole line, with no space: not a request line (RFC 9112 §3)"},
		{"GET /small.txt\r\n", 400, "HTTP/0.9: no version"},
		{"GET /a\x01", 400, "a control byte in the target (RFC 9112 §3.2)"},
		{"GET / HTTP/1.1x", 400, "too long a version (RFC 9112 §2.3)"},
		{"GET / HTTX", 400, "not HTTP"},
		{"GET / HTTP/1.#", 400, "a digit each side of the dot, not the \"#\" that stands for one in isVersionByte"},
		{"GET / HTTP/#", 400, "the same"},
		{"GET  /", 400, "two spaces: an empty target"},
		{" GET", 400, "the line starts with the method"},
		{"GET / HTTP/1.1 ", 400, "a space after the version"},
		{"GET / HTTP/1.1\rX", 400, "a bare CR (RFC 9112 §2.2)"},
		{"GET / HTTP/1.1\r", -1, "a CR that may start the line end"},
		{"\r", -1, "the start of an empty line before the request (RFC 9112 §2.2)"},
		{"GET / HTTP/1.1", -1, "a line that may still become valid"},
		{"GET / HTTP/1.1\r\nHost: a\r\n", -1, "the head has not ended"},
		{strings.Repeat("M", 100000), 501, "a method longer than any we implement: 501 (RFC 9110 §9.1), not 414, since the long thing is not a URI"},
		{strings.Repeat("M", maxMethod+1) + " / HTTP/1.1\r\n" + host, 501, "one byte over maxMethod"},
		{strings.Repeat("M", maxMethod) + " / HTTP/1.1\r\n" + host, 0, "as long as a method may be: answered 501 by answer, with the request read whole"},
		{"M(" + strings.Repeat("M", 100), 400, "a bad byte before the method is too long: 400, the first wrong byte decides"},
		{"GET /" + strings.Repeat("a", maxLine), 414, "the target is what makes a line long (RFC 9112 §3)"},
		{"GET /small.txt#top HTTP/1.1\r\n" + host, 400, "a fragment is not part of a target (RFC 9112 §3.2)"},
		{"GET /#", 400, "known at the \"#\""},
		{"GET http://a/b#c HTTP/1.1\r\n" + host, 400, "nor of a target in absolute form"},
		{"GET / HTTP/1.2\r\n" + host, 0, "a higher minor version: read as HTTP/1.1 (RFC 9110 §2.5)"},
		{"GET / HTTP/1.9\r\n" + host, 0, "the same"},
		{"GET / HTTP/2.0\r\n", 505, "another major version (RFC 9110 §15.6.6), known once the line ends"},
		{"GET / HTTP/0.9\r\n", 505, "the same"},
	}
	for _, tt := range tests {
		// Whole, then a byte at a time: the same answer, as soon as the
		// bytes that decide it have come.
		for _, pieces := range [][]string{{tt.in}, strings.Split(tt.in, "")} {
			got := result(pieces)
			want := fmt.Sprintf("%d ", tt.status)
			if tt.status < 0 {
				want = "left "
			}
			if !strings.HasPrefix(got[0], want) {
				t.Errorf("%.60q in %d pieces: got %.80q, want %s(%s)", tt.in, len(pieces), got, want, tt.note)
			}
		}
	}
}

// TestMinorVersion: HTTP/1.2 is processed as HTTP/1.1 (RFC 9110 §2.5):
// Host is required, the connection stays open, a body may be chunked.
func TestMinorVersion(t *testing.T) {
	req, status := parseRequest([]byte("GET / HTTP/1.2\r\nHost: a\r\n\r\n"))
	if status != 0 || req.version != "HTTP/1.1" || !req.keepAlive || req.line != "GET / HTTP/1.2" {
		t.Errorf("HTTP/1.2: status %d, version %q, keepAlive %v, line %q", status, req.version, req.keepAlive, req.line)
	}
	if _, status := parseRequest([]byte("GET / HTTP/1.2\r\n\r\n")); status != 400 {
		t.Errorf("HTTP/1.2 without Host: status %d, want 400, as for HTTP/1.1", status)
	}
}

// TestHost: the grammar of Host (RFC 9110 §7.2, RFC 3986 §3.2.2 and
// §3.2.3), and of the host of a target in absolute form, which must not be
// empty (RFC 9110 §4.2.1) (issue 14, item 3).
func TestHost(t *testing.T) {
	tests := []struct {
		host string
		ok   bool
	}{
		{"", true}, // a target with no authority (RFC 9112 §3.2)
		{"localhost", true},
		{"example.com:8080", true},
		{"127.0.0.1", true},
		{"127.0.0.1:80", true},
		{"a:", true}, // port = *DIGIT: an empty port is the default one
		{"[::1]", true},
		{"[::1]:8000", true},
		{"[::ffff:1.2.3.4]", true},
		{"my_host.local", true}, // "_" is unreserved
		{"%41", true},           // a %-escape
		{"a!$&'()*+,;=", true},  // sub-delims
		{"127.0.0.1:abc", false},
		{"127.0.0.1:+80", false},
		{"127.0.0.1:-1", false},
		{"a:65536", false},
		{"a:0000080808", false},
		{"a:1:2", false},
		{":80", false}, // no host
		{"[::1", false},
		{"[::1]]", false},
		{"::1", false},
		{"[127.0.0.1]", false},
		{"[fe80::1%25eth0]", false}, // zones are not in RFC 3986
		{"[v1.x]", false},           // IPvFuture: nobody uses it, we refuse it
		{"[::1]x", false},
		{"%4", false},
		{"%zz", false},
		{"user@evil.example", false},
		{"a b", false},
		{"a/b", false},
		{"a\\b", false},
		{"a#b", false},
		{"a?b", false},
	}
	for _, tt := range tests {
		if got := isHost(tt.host); got != tt.ok {
			t.Errorf("isHost(%q) = %v, want %v", tt.host, got, tt.ok)
		}
		_, status := parseRequest([]byte("GET / HTTP/1.1\r\nHost: " + tt.host + "\r\n\r\n"))
		if want := map[bool]int{true: 0, false: 400}[tt.ok]; status != want {
			t.Errorf("Host: %s: status %d, want %d", tt.host, status, want)
		}
		if tt.host == "" || strings.ContainsAny(tt.host, "/?#") {
			continue // the end of the host in a target
		}
		_, status = parseRequest([]byte("GET http://" + tt.host + "/ HTTP/1.1\r\nHost: a\r\n\r\n"))
		if want := map[bool]int{true: 0, false: 400}[tt.ok]; status != want {
			t.Errorf("GET http://%s/: status %d, want %d", tt.host, status, want)
		}
	}
	for _, target := range []string{"http:///small.txt", "http://", "http://?a", "HTTP://:80/", "https:///"} {
		if _, status := parseRequest([]byte("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n")); status != 400 {
			t.Errorf("GET %s: status %d, want 400: an http URI has a host (RFC 9110 §4.2.1)", target, status)
		}
	}
}

// TestChunkSize: chunk-size is 1*HEXDIG (RFC 9112 §7.1), and whitespace
// may only come before a ";" that starts an extension (BWS, §7.1.1): "5 "
// alone is a lenient parser's reading, and a smuggler's (issue 14, item
// 11).
func TestChunkSize(t *testing.T) {
	tests := []struct {
		line string
		n    uint64
		ok   bool
	}{
		{"5", 5, true},
		{"1a", 26, true},
		{"1A", 26, true},
		{"0005", 5, true},
		{"5;a=b", 5, true},
		{"5 ;a=b", 5, true},
		{"5\t; a = \"b c\"", 5, true},
		{"5 ", 0, false},
		{"5\t", 0, false},
		{" 5", 0, false},
		{"5 5", 0, false},
		{"", 0, false},
		{";a", 0, false},
		{"+5", 0, false},
		{"0x5", 0, false},
		{"5_0", 0, false},
		{"g", 0, false},
		{"5;a=\x01", 0, false},
		{"10000000000000000", 0, false},
	}
	for _, tt := range tests {
		if n, ok := parseChunkSize(tt.line); ok != tt.ok || ok && n != tt.n {
			t.Errorf("parseChunkSize(%q) = %d, %v; want %d, %v", tt.line, n, ok, tt.n, tt.ok)
		}
	}
}

// chunks makes a chunked body of n chunks of one byte, "x", each with the
// size line sizeLine.
func chunks(n int, sizeLine string) string {
	return strings.Repeat(sizeLine+"\r\nx\r\n", n) + "0\r\n\r\n"
}

// TestChunkFraming: the bytes of a chunked body that are not data are
// counted against a budget, as Go's net/http does since CVE-2023-39326
// (issue 14, item 7): a byte at a time is fine, 8 MB of extensions, or of
// zeros, around a 2 KB body is refused.
func TestChunkFraming(t *testing.T) {
	ext := strings.Repeat("e", maxChunkLine-10)
	zeros := strings.Repeat("0", maxChunkLine-10)
	tests := []struct {
		name, body string
		status     int
	}{
		{"2KB-a-byte-a-chunk", chunks(2048, "1"), 0},
		{"1KB-with-a-short-extension-each", chunks(1024, "1;n=v"), 0},
		{"a-big-chunk-with-a-long-extension", "800;" + ext + "\r\n" + strings.Repeat("x", 0x800) + "\r\n0\r\n\r\n", 0},
		{"8MB-of-extensions-around-2KB", chunks(2048, "1;"+ext), 400},
		{"8MB-of-zeros-around-2KB", chunks(2048, zeros+"1"), 400},
		{"a-long-extension-on-the-last-chunk", "1\r\nx\r\n0;" + ext + "\r\n\r\n", 0},
	}
	for _, tt := range tests {
		got := result([]string{chunked + tt.body})
		if want := fmt.Sprintf("%d ", tt.status); len(got) == 0 || !strings.HasPrefix(got[0], want) {
			t.Errorf("%s: got %.80q, want status %d", tt.name, got, tt.status)
		}
	}
	// The budget is per request: the next one on the connection starts
	// from nothing.
	body := chunks(4, "1;"+ext)
	got := result([]string{chunked + body + chunked + body})
	if len(got) != 3 || !strings.HasPrefix(got[0], "0 ") || !strings.HasPrefix(got[1], "0 ") {
		t.Errorf("two requests, each within the budget: %.80q", got)
	}
	if !strings.Contains(got[0], `"xxxx"`) {
		t.Errorf("the body: %.80q, want \"xxxx\"", got[0])
	}
}
