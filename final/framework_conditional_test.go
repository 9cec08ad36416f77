package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// conditional makes a request with the header lines given, "Name: value".
func conditional(method string, lines ...string) *request {
	req := &request{method: method, header: map[string][]string{}}
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ": ")
		req.header[strings.ToLower(name)] = append(req.header[strings.ToLower(name)], value)
	}
	return req
}

// TestPreconditions: RFC 9110 §13.2.2's order, and each precondition's
// rules, against a file's validators and against none (a route's).
func TestPreconditions(t *testing.T) {
	modified := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC) // not a whole second
	file := validators{etag: `"v1"`, lastModified: modified}
	const (
		before = "Fri, 02 Jan 2026 03:04:04 GMT"
		same   = "Fri, 02 Jan 2026 03:04:05 GMT" // the Last-Modified: whole seconds
		after  = "Fri, 02 Jan 2026 03:04:06 GMT"
	)
	tests := []struct {
		v      validators
		method string
		lines  []string
		want   int
	}{
		{file, "GET", nil, 0},
		// If-Match: strong comparison; "*" is any representation.
		{file, "GET", []string{`If-Match: "v1"`}, 0},
		{file, "GET", []string{`If-Match: "v2"`}, 412},
		{file, "GET", []string{`If-Match: W/"v1"`}, 412},
		{file, "GET", []string{`If-Match: "v2", "v1"`}, 0},
		{file, "GET", []string{`If-Match: "v2"`, `If-Match: "v1"`}, 0}, // two lines are one list
		{file, "PUT", []string{`If-Match: *`}, 0},
		{file, "GET", []string{`If-Match: v1`}, 412}, // not a tag
		// If-Unmodified-Since, and only without If-Match.
		{file, "GET", []string{"If-Unmodified-Since: " + before}, 412},
		{file, "GET", []string{"If-Unmodified-Since: " + same}, 0},
		{file, "GET", []string{"If-Unmodified-Since: " + after}, 0},
		{file, "GET", []string{"If-Unmodified-Since: yesterday"}, 0},
		{file, "GET", []string{"If-Unmodified-Since: " + before + ", " + after}, 0}, // a list is no date
		{file, "GET", []string{`If-Match: "v1"`, "If-Unmodified-Since: " + before}, 0},
		// If-None-Match: weak comparison; "*" matches; 304 for GET and
		// HEAD, 412 for a change.
		{file, "GET", []string{`If-None-Match: "v1"`}, 304},
		{file, "HEAD", []string{`If-None-Match: W/"v1"`}, 304},
		{file, "GET", []string{`If-None-Match: "v0", "v1"`}, 304},
		{file, "GET", []string{`If-None-Match: "v2"`}, 0},
		{file, "GET", []string{`If-None-Match: *`}, 304},
		{file, "POST", []string{`If-None-Match: *`}, 412},
		{file, "GET", []string{`If-None-Match: garbage, "v1"`}, 0}, // read up to where it goes wrong
		// If-Modified-Since: GET and HEAD only, and only without
		// If-None-Match, whatever the date says.
		{file, "GET", []string{"If-Modified-Since: " + same}, 304},
		{file, "GET", []string{"If-Modified-Since: " + before}, 0},
		{file, "POST", []string{"If-Modified-Since: " + after}, 0},
		{file, "GET", []string{"If-Modified-Since: " + same, "If-Modified-Since: " + same}, 0},
		{file, "GET", []string{`If-None-Match: "v2"`, "If-Modified-Since: " + after}, 0},
		{file, "GET", []string{`If-None-Match: "v1"`, "If-Modified-Since: " + before}, 304},
		// The order: the 412s before the 304s.
		{file, "GET", []string{`If-Match: "v2"`, `If-None-Match: "v1"`}, 412},
		{file, "GET", []string{"If-Unmodified-Since: " + before, `If-None-Match: "v1"`}, 412},
		// A tag may hold a comma.
		{validators{etag: `"a,b"`}, "GET", []string{`If-None-Match: "x", "a,b"`}, 304},
		{validators{etag: `"a,b"`}, "GET", []string{`If-None-Match: "a"`}, 0},
		// A weak tag never matches If-Match.
		{validators{etag: `W/"v1"`}, "GET", []string{`If-Match: W/"v1"`}, 412},
		{validators{etag: `W/"v1"`}, "GET", []string{`If-None-Match: "v1"`}, 304},
		// A page without validators (a route): "*" holds, a tag does not,
		// a date is ignored.
		{validators{}, "GET", []string{`If-Match: *`}, 0},
		{validators{}, "GET", []string{`If-Match: "x"`}, 412},
		{validators{}, "GET", []string{`If-None-Match: *`}, 304},
		{validators{}, "GET", []string{`If-None-Match: "x"`}, 0},
		{validators{}, "GET", []string{"If-Modified-Since: " + after}, 0},
		{validators{}, "GET", []string{"If-Unmodified-Since: " + before}, 0},
	}
	for _, tt := range tests {
		if got := preconditions(conditional(tt.method, tt.lines...), tt.v); got != tt.want {
			t.Errorf("%s with %q, validators %+v: %d, want %d", tt.method, tt.lines, tt.v, got, tt.want)
		}
	}
}

func TestIfRange(t *testing.T) {
	modified := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v := validators{etag: `"v1"`, lastModified: modified}
	for lines, want := range map[string]bool{
		"":                 true,
		`If-Range: "v1"`:   true,
		`If-Range: "v2"`:   false,
		`If-Range: W/"v1"`: false, // a weak tag: never for a range
		"If-Range: Fri, 02 Jan 2026 03:04:05 GMT":  true,
		"If-Range: Fri, 02 Jan 2026 03:04:06 GMT":  false, // exactly, not "since"
		"If-Range: Friday, 02-Jan-26 03:04:05 GMT": false,
		"If-Range: yesterday":                      false,
		`If-Range: "v1"|If-Range: "v1"`:            false,
	} {
		var req *request
		if lines == "" {
			req = conditional("GET")
		} else {
			req = conditional("GET", strings.Split(lines, "|")...)
		}
		if got := ifRange(req, v); got != want {
			t.Errorf("ifRange with %q: %v, want %v", lines, got, want)
		}
	}
	if ifRange(conditional("GET", `If-Range: "v1"`), validators{etag: `W/"v1"`}) {
		t.Error(`ifRange: "v1" matched the weak tag W/"v1"`)
	}
}

// TestNegotiate: Accept-Encoding with weights, "*" and identity.
func TestNegotiate(t *testing.T) {
	tests := []struct {
		accept              string // "-": no Accept-Encoding at all
		useGzip, identityOK bool
		whatItShould        string
	}{
		{"-", false, true, "no header: the bytes as they are"},
		{"", false, true, "an empty header: no coding wanted"},
		{"gzip", true, true, ""},
		{"GZip", true, true, "codings ignore case"},
		{"x-gzip", true, true, "the old name"},
		{"gzip, deflate, br, zstd", true, true, "a browser's"},
		{"br", false, true, "not a coding we have"},
		{"gzip;q=0", false, true, "refused"},
		{"gzip; q=0.000", false, true, ""},
		{"gzip;q=0.5", true, true, "identity not named: after any coding named"},
		{"gzip;q=0.5, identity", false, true, "identity weighs more"},
		{"gzip;q=0.8, identity;q=0.8", true, true, "a tie: the smaller"},
		{"*", true, true, "any coding"},
		{"*;q=0.5, gzip;q=0.3", false, true, "identity weighs what * does"},
		{"*;q=0", false, false, "nothing: 406"},
		{"*;q=0, identity", false, true, ""},
		{"identity;q=0", false, false, "identity refused, gzip not named: 406"},
		{"gzip, identity;q=0", true, false, ""},
		{"identity;q=0, *", true, false, "gzip by *"},
		{"gzip;q=2", false, true, "not a weight: the member is skipped"},
		{"gzip;q=1.5", false, true, "above 1"},
		{"gzip;q=0.1234", false, true, "four decimals"},
		{"gzip;Q=0.5", true, true, "the parameter's name ignores case"},
		{"gzip, identity;q=nan", true, true, "nan is no weight: the member is skipped"},
		{"gzip;q=1e-3", false, true, "nor is 1e-3"},
		{"gzip;q=0x1p-1", false, true, "nor a hexadecimal float"},
		{"gzip;q=0.", false, true, `"0." is a weight (0 ["." 0*3DIGIT]): 0, refused`},
		{"gzip;level=9;q=0.7", true, true, "other parameters"},
	}
	for _, tt := range tests {
		req := conditional("GET")
		if tt.accept != "-" {
			req = conditional("GET", "Accept-Encoding: "+tt.accept)
		}
		useGzip, identityOK := negotiate(req)
		if useGzip != tt.useGzip || identityOK != tt.identityOK {
			t.Errorf("Accept-Encoding: %q: gzip %v, identity %v; want %v, %v (%s)", tt.accept, useGzip, identityOK, tt.useGzip, tt.identityOK, tt.whatItShould)
		}
	}
}

// TestPickBoundary: a boundary that occurs in a part is not used, also
// where it straddles two of occursIn's reads.
func TestPickBoundary(t *testing.T) {
	content := bytes.Repeat([]byte("x"), 100<<10)
	copy(content[32<<10-3:], "CLASH") // across the first 32 KiB read
	tried := []string{"CLASH", "OTHER"}
	random := func() string {
		b := tried[0]
		tried = tried[1:]
		return b
	}
	got, err := pickBoundary(bytes.NewReader(content), []byteRange{{0, 10}, {20 << 10, 40 << 10}}, random)
	if err != nil || got != "OTHER" {
		t.Errorf("pickBoundary = %q, %v; want OTHER, for CLASH is in the second part", got, err)
	}
	// Outside every part, it does not matter.
	tried = []string{"CLASH"}
	if got, err := pickBoundary(bytes.NewReader(content), []byteRange{{0, 10}, {40 << 10, 50 << 10}}, random); got != "CLASH" || err != nil {
		t.Errorf("pickBoundary = %q, %v; want CLASH, which is in no part", got, err)
	}
	always := func() string { return "xxxx" }
	if _, err := pickBoundary(bytes.NewReader(content), []byteRange{{0, 10}}, always); err == nil {
		t.Error("pickBoundary found a boundary where every one tried occurs")
	}
	// Parts of more than boundaryCheckMax bytes are not read at all: the
	// cost of the check is bounded, whatever the file's size.
	var unread noReads
	if got, err := pickBoundary(unread, []byteRange{{0, 0}, {1, 1 << 40}}, always); got != "xxxx" || err != nil {
		t.Errorf("pickBoundary over a terabyte of parts = %q, %v; want the first boundary drawn, none of the parts read", got, err)
	}
}

// noReads is a file whose every read fails: pickBoundary, had it read,
// would return the error.
type noReads struct{}

func (noReads) ReadAt([]byte, int64) (int, error) { return 0, errors.New("read") }

// TestGzipCache: copies are kept by version, and no more than
// gzipCacheMax bytes of them.
func TestGzipCache(t *testing.T) {
	var c gzipCache
	c.put("a", `"1"`, []byte("one"))
	if gz, ok := c.get("a", `"1"`); !ok || string(gz) != "one" {
		t.Errorf("get a: %q, %v", gz, ok)
	}
	if _, ok := c.get("a", `"2"`); ok {
		t.Error("a copy of another version was used")
	}
	big := make([]byte, gzipCacheMax/3+1)
	for _, k := range []string{"b", "c", "d", "e", "f"} {
		c.put(k, `"1"`, big)
		if c.size > gzipCacheMax {
			t.Fatalf("after %s: %d bytes kept, more than %d", k, c.size, gzipCacheMax)
		}
		if _, ok := c.get(k, `"1"`); !ok {
			t.Errorf("%s: not kept", k)
		}
	}
	sum := 0
	for _, cp := range c.copies {
		sum += len(cp.gz)
	}
	if sum != c.size || len(c.copies) != 2 {
		t.Errorf("%d copies, %d bytes, size says %d; want 2 copies", len(c.copies), sum, c.size)
	}
	c.put("huge", `"1"`, make([]byte, gzipCacheMax+1))
	if _, ok := c.get("huge", `"1"`); ok {
		t.Error("a copy bigger than the whole cache was kept")
	}
}

// TestGzipTurns: no more than gzipAtOnce compressions at once; a copy
// kept needs no turn.
func TestGzipTurns(t *testing.T) {
	var c gzipCache
	c.put("kept", `"1"`, []byte("gz"))
	for i := range gzipAtOnce {
		if _, compressing, busy := c.plan(fmt.Sprint(i), `"1"`); !compressing || busy {
			t.Fatalf("turn %d of %d: compressing %v, busy %v", i+1, gzipAtOnce, compressing, busy)
		}
	}
	if _, compressing, busy := c.plan("one more", `"1"`); compressing || !busy {
		t.Errorf("a compression past gzipAtOnce: compressing %v, busy %v; want busy", compressing, busy)
	}
	if gz, compressing, busy := c.plan("kept", `"1"`); string(gz) != "gz" || compressing || busy {
		t.Errorf("a copy kept, with every turn taken: %q, compressing %v, busy %v; want the copy", gz, compressing, busy)
	}
	c.done()
	if _, compressing, busy := c.plan("one more", `"1"`); !compressing || busy {
		t.Errorf("after a turn given back: compressing %v, busy %v", compressing, busy)
	}
}
