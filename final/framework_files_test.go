package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseRanges(t *testing.T) {
	tests := []struct {
		h      string
		size   int64
		status int
		want   string // the ranges, "first-last ..."
	}{
		{"bytes=0-4", 26, 206, "0-4"},
		{"bytes=20-", 26, 206, "20-25"},
		{"bytes=24-99", 26, 206, "24-25"},
		{"bytes=-3", 26, 206, "23-25"},
		{"bytes=-100", 26, 206, "0-25"},
		{"Bytes = 1-1", 26, 206, "1-1"},
		{"bytes=0-99999999999999999999", 26, 206, "0-25"},
		{"bytes=26-", 26, 416, ""},
		{"bytes=99999999999999999999-", 26, 416, ""},
		{"bytes=-0", 26, 416, ""},
		{"bytes=0-", 0, 416, ""},
		{"bytes=5-2", 26, 200, ""}, // invalid: ignored
		{"bytes=a-b", 26, 200, ""},
		{"bytes=+1-2", 26, 200, ""},
		{"bytes=1", 26, 200, ""},
		{"lines=1-2", 26, 200, ""},
		{"bytes=", 26, 200, ""},
		// Several ranges, in the order asked; the ones past the end left out.
		{"bytes=0-1,3-4", 26, 206, "0-1 3-4"},
		{"bytes=20-, 0-0", 26, 206, "20-25 0-0"},
		{"bytes=0-1,30-40", 26, 206, "0-1"},
		{"bytes=30-40,50-", 26, 416, ""},
		{"bytes=0-1,x", 26, 200, ""}, // one invalid: the whole Range ignored
		// Overlapping ranges, as long as they add up to no more than the file.
		{"bytes=0-9,5-14", 26, 206, "0-9 5-14"},
		{"bytes=0-,0-", 26, 200, ""},
		{"bytes=0-20,-10", 26, 200, ""},
		// Up to 16 ranges, not 17.
		{"bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,13-13,14-14,15-15", 26, 206,
			"0-0 1-1 2-2 3-3 4-4 5-5 6-6 7-7 8-8 9-9 10-10 11-11 12-12 13-13 14-14 15-15"},
		{"bytes=0-0,1-1,2-2,3-3,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,13-13,14-14,15-15,16-16", 26, 200, ""},
	}
	for _, tt := range tests {
		status, ranges := parseRanges(tt.h, tt.size)
		var got []string
		for _, r := range ranges {
			got = append(got, fmt.Sprintf("%d-%d", r.first, r.last))
		}
		if status != tt.status || strings.Join(got, " ") != tt.want {
			t.Errorf("parseRanges(%q, %d) = %d %q, want %d %q", tt.h, tt.size, status, got, tt.status, tt.want)
		}
	}
}

func TestFileName(t *testing.T) {
	tests := []struct {
		target, name string
		slash, ok    bool
	}{
		{"/", ".", true, true},
		{"//a///b/./c", "a/b/c", false, true},
		{"/my%20file.txt", "my file.txt", false, true},
		{"/%63gi-bin/x", "cgi-bin/x", false, true},
		{"/a/..", "", false, false},
		{"/../etc/passwd", "", false, false},
		{"/%2e%2e/etc/passwd", "", false, false},
		{"/a/..%2f..%2fb", "", false, false},
		{"/%252e%252e/x", "%2e%2e/x", false, true}, // decoded once: a name, not ".."
		{"/a%5c..%5cb", "", false, false},
		{"/a%00.png", "", false, false},
		{"/%zz", "", false, false},
		// RFC 3986 §5.2.4: a final "." segment leaves its slash, so
		// these all name a folder, the same as "/a.txt/".
		{"/a.txt/", "a.txt", true, true},
		{"/a.txt/.", "a.txt", true, true},
		{"/a.txt/%2e", "a.txt", true, true},
		{"/a.txt/./", "a.txt", true, true},
		{"/a.txt%2f", "a.txt", true, true},
		{"/a.txt/./b", "a.txt/b", false, true},
		{"/.", ".", true, true},
		{"/a.", "a.", false, true}, // a name ending in a dot, no dot segment
	}
	for _, tt := range tests {
		name, slash, ok := fileName(tt.target)
		if name != tt.name || slash != tt.slash || ok != tt.ok {
			t.Errorf("fileName(%q) = %q, %v, %v; want %q, %v, %v", tt.target, name, slash, ok, tt.name, tt.slash, tt.ok)
		}
	}
}

func TestHidden(t *testing.T) {
	for name, want := range map[string]bool{
		".": false, "a.txt": false, "notes/a.b": false, ".env": true, ".git/config": true,
		"notes/.DS_Store": true, "a/.b/c": true, "..x": true, ".well-known/security.txt": false,
		".well-known": false, "a/.well-known/x": true, ".well-known/.x": true,
	} {
		if hidden(name) != want {
			t.Errorf("hidden(%q) = %v", name, !want)
		}
	}
}

func TestParseHTTPDate(t *testing.T) {
	for _, s := range []string{"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"} {
		if d, ok := parseHTTPDate(s); !ok || d.Unix() != 784111777 {
			t.Errorf("parseHTTPDate(%q) = %v, %v", s, d, ok)
		}
	}
	if _, ok := parseHTTPDate("yesterday"); ok {
		t.Error(`parseHTTPDate("yesterday") succeeded`)
	}
}
