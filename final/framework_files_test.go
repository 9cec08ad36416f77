package main

import "testing"

func TestParseRange(t *testing.T) {
	tests := []struct {
		h                   string
		size                int64
		status              int
		wantFirst, wantLast int64
	}{
		{"bytes=0-4", 26, 206, 0, 4},
		{"bytes=20-", 26, 206, 20, 25},
		{"bytes=24-99", 26, 206, 24, 25},
		{"bytes=-3", 26, 206, 23, 25},
		{"bytes=-100", 26, 206, 0, 25},
		{"Bytes = 1-1", 26, 206, 1, 1},
		{"bytes=0-99999999999999999999", 26, 206, 0, 25},
		{"bytes=26-", 26, 416, 0, 0},
		{"bytes=99999999999999999999-", 26, 416, 0, 0},
		{"bytes=-0", 26, 416, 0, 0},
		{"bytes=0-", 0, 416, 0, 0},
		{"bytes=5-2", 26, 200, 0, 25},     // invalid: ignored
		{"bytes=0-1,3-4", 26, 200, 0, 25}, // several: the whole file
		{"bytes=a-b", 26, 200, 0, 25},
		{"bytes=+1-2", 26, 200, 0, 25},
		{"bytes=1", 26, 200, 0, 25},
		{"lines=1-2", 26, 200, 0, 25},
	}
	for _, tt := range tests {
		status, first, last := parseRange(tt.h, tt.size)
		if status != tt.status || status != 416 && (first != tt.wantFirst || last != tt.wantLast) {
			t.Errorf("parseRange(%q, %d) = %d %d-%d, want %d %d-%d", tt.h, tt.size, status, first, last, tt.status, tt.wantFirst, tt.wantLast)
		}
	}
}

func TestFileName(t *testing.T) {
	tests := []struct {
		target, name string
		ok           bool
	}{
		{"/", ".", true},
		{"//a///b/./c", "a/b/c", true},
		{"/my%20file.txt", "my file.txt", true},
		{"/%63gi-bin/x", "cgi-bin/x", true},
		{"/a/..", "", false},
		{"/../etc/passwd", "", false},
		{"/%2e%2e/etc/passwd", "", false},
		{"/a/..%2f..%2fb", "", false},
		{"/%252e%252e/x", "%2e%2e/x", true}, // decoded once: a name, not ".."
		{"/a%5c..%5cb", "", false},
		{"/a%00.png", "", false},
		{"/%zz", "", false},
	}
	for _, tt := range tests {
		name, ok := fileName(tt.target)
		if name != tt.name || ok != tt.ok {
			t.Errorf("fileName(%q) = %q, %v; want %q, %v", tt.target, name, ok, tt.name, tt.ok)
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
