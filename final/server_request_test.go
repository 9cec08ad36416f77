package main

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		head   string
		status int
	}{
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0},
		{"GET / HTTP/1.1\nHost: a\n\n", 0}, // bare LF, as typed into nc
		{"GET / HTTP/1.0\r\n\r\n", 0},
		{"GET http://a/b?c HTTP/1.1\r\nHost: a\r\n\r\n", 0},
		{"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
		{"GET /\r\n\r\n", 400},
		{"GET a HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"GET / http/1.1\r\nHost: a\r\n\r\n", 400},
		{"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
		{"GET / HTTP/1.1\r\n\r\n", 400},                       // no Host
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400}, // two
		{"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", 0},
		{"GET / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n", 417},
	}
	for _, tt := range tests {
		if _, status := parseRequest([]byte(tt.head)); status != tt.status {
			t.Errorf("parseRequest(%q): status %d, want %d", tt.head, status, tt.status)
		}
	}
}

// TestTargetSplit: the target is split at its first "?" once, in
// parseRequest, into the path and the query every handler then uses.
func TestTargetSplit(t *testing.T) {
	tests := []struct{ target, path, query string }{
		{"/index.html", "/index.html", ""},
		{"/sum?a=2&b=3", "/sum", "a=2&b=3"},
		{"/a?b?c", "/a", "b?c"},
		{"/notes/?", "/notes/", ""},
		{"http://h/p?q=1", "/p", "q=1"},
		{"http://h?q=1", "/", "q=1"},
	}
	for _, tt := range tests {
		req, status := parseRequest([]byte("GET " + tt.target + " HTTP/1.1\r\nHost: h\r\n\r\n"))
		if status != 0 || req.path != tt.path || req.query != tt.query {
			t.Errorf("GET %s: status %d, path %q, query %q; want %q, %q", tt.target, status, req.path, req.query, tt.path, tt.query)
		}
	}
}

func TestKeepAlive(t *testing.T) {
	tests := []struct {
		head string
		want bool
	}{
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
		{"GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: a\r\nConnection: te, close\r\n\r\n", false},
		{"GET / HTTP/1.0\r\n\r\n", false},
		{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
	}
	for _, tt := range tests {
		if req, _ := parseRequest([]byte(tt.head)); req.keepAlive != tt.want {
			t.Errorf("parseRequest(%q).keepAlive = %v, want %v", tt.head, req.keepAlive, tt.want)
		}
	}
}

// stream is a connection's worth of requests: bodies by length and in
// chunks (extensions, trailers), leading empty lines, pipelining.
const stream = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
	"\r\nPOST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
	"3;name=value\r\nabc\r\nA\r\n0123456789\r\n0\r\nTrailer-Field: 1\r\n\r\n" +
	"GET /c HTTP/1.0\r\n\r\n"

// result is what nextRequest made of some bytes: one line per request.
func result(pieces []string) []string {
	var st connState
	var got []string
	for _, p := range pieces {
		st.buf = append(st.buf, p...)
		for {
			req, status := st.nextRequest()
			if req == nil {
				break
			}
			if status != 0 {
				// Refused, perhaps as soon as its first bytes came: what
				// it says is the status, not how much of it had arrived.
				return append(got, fmt.Sprintf("%d refused", status))
			}
			got = append(got, fmt.Sprintf("%d %q %q", status, req.line, req.body))
		}
	}
	return append(got, fmt.Sprintf("left %q", st.buf))
}

// TestNextRequestSplits feeds the same bytes whole, and a byte at a time:
// the requests must be the same, however the bytes arrive.
func TestNextRequestSplits(t *testing.T) {
	want := []string{
		`0 "POST /a HTTP/1.1" "hello"`,
		`0 "POST /b HTTP/1.1" "abc0123456789"`,
		`0 "GET /c HTTP/1.0" ""`,
		`left ""`,
	}
	if got := result([]string{stream}); !reflect.DeepEqual(got, want) {
		t.Errorf("whole: got %q, want %q", got, want)
	}
	if got := result(strings.Split(stream, "")); !reflect.DeepEqual(got, want) {
		t.Errorf("byte by byte: got %q, want %q", got, want)
	}
}

func TestBodyErrors(t *testing.T) {
	const chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	tests := []struct {
		in     string
		status int
	}{
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nab", 400},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\nab", 400},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", 413},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
		{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
		{chunked + "x\r\n", 400},
		{chunked + "-1\r\n", 400},
		{chunked + "0x1\r\n", 400},
		{chunked + "1\n", 400},
		{chunked + "1\r\nab\r\n", 400},
		{chunked + "100001\r\n", 413},
		{chunked + strings.Repeat("0", maxChunkLine+1), 400},
		{chunked + "0\r\nno colon\r\n\r\n", 400},
		{"GET /" + strings.Repeat("a", maxLine) + " HTTP/1.1\r\n", 414},
		{"GET /" + strings.Repeat("a", maxLine), 414},
		{"GET / HTTP/1.1\r\n" + strings.Repeat("X: y\r\n", maxHead/6+1), 431},
	}
	for _, tt := range tests {
		got := result([]string{tt.in})
		if want := fmt.Sprintf("%d ", tt.status); len(got) != 1 || !strings.HasPrefix(got[0], want) {
			t.Errorf("%.80q: got %.80q, want status %d", tt.in, got, tt.status)
		}
	}
}

// FuzzParseRequest checks the request reader on any bytes: it must not
// panic, what it accepts must be well-formed, and the bytes must give the
// same requests whole as cut in two anywhere.
func FuzzParseRequest(f *testing.F) {
	f.Add(stream, 10)
	f.Add("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 3)
	f.Add("GET http://a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 20)
	f.Add("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.0\r\n\r\n", 40)
	f.Add("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=b\r\nx\r\n0\r\nT: 1\r\n\r\n", 60)
	f.Add("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 1)
	f.Add("\r\n\nGET / HTTP/1.1\nHost: a\n\n", 2)
	f.Add("GET / HTTP/9.9\r\n\r\n", 5)
	f.Add("GET http://[::1]:80/a HTTP/1.2\r\nHost: a:8\r\n\r\n", 12)
	f.Add("\x16\x03\x01GET /a#b HTTP/1.1\r\n\r\n", 2)
	f.Add("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 ;x\r\nhello\r\n0 \r\n\r\n", 70)
	f.Fuzz(func(t *testing.T, data string, cut int) {
		whole := result([]string{data})
		if cut < 0 || cut > len(data) {
			cut = len(data) / 2
		}
		if split := result([]string{data[:cut], data[cut:]}); !reflect.DeepEqual(whole, split) {
			t.Errorf("whole %q, cut at %d %q", whole, cut, split)
		}
		if req, status := parseRequest([]byte(data)); status == 0 {
			if !isToken(req.method) || !isTarget(req.target) || req.version != "HTTP/1.1" && req.version != "HTTP/1.0" {
				t.Errorf("accepted %q as %q %q %q", data, req.method, req.target, req.version)
			}
		}
	})
}
