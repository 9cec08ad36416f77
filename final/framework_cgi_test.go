package main

import (
	"bufio"
	"strings"
	"testing"
)

func TestReadCGIHeader(t *testing.T) {
	tests := []struct {
		out         string
		status      int
		contentType string
		header      string
	}{
		{"Content-Type: text/plain\n\nbody", 200, "text/plain", ""},
		{"Content-Type: text/plain\r\n\r\nbody", 200, "text/plain", ""},
		{"Status: 404 Not Found\nContent-Type: text/html\n\n", 404, "text/html", ""},
		{"Status: 204\n\n", 204, "", ""},
		{"Location: http://a/\n\n", 302, "", "Location: http://a/"},
		{"Status: 301 Moved\nLocation: /x\n\n", 301, "", "Location: /x"},
		{"Content-Type: a/b\nContent-Length: 99\nConnection: close\nX-A: 1\n\n", 200, "a/b", "X-A: 1"},
		{"X-A: 1\n\n", 0, "", ""},          // no type, status or place
		{"not a header\n\n", 0, "", ""},    // no colon
		{"Content-Type: a/b\n", 0, "", ""}, // no blank line
		{"Status: 99 Weird\nContent-Type: a/b\n\n", 0, "", ""},
		{"Status: 2000\nContent-Type: a/b\n\n", 0, "", ""},
		{"Bad Name: x\nContent-Type: a/b\n\n", 0, "", ""},
	}
	for _, tt := range tests {
		status, contentType, header, err := readCGIHeader(bufio.NewReader(strings.NewReader(tt.out)))
		if status != tt.status || contentType != tt.contentType || strings.Join(header, "|") != tt.header || (err != nil) != (tt.status == 0) {
			t.Errorf("readCGIHeader(%q) = %d %q %q %v", tt.out, status, contentType, header, err)
		}
	}
}

func TestIsCGI(t *testing.T) {
	// "CGI-BIN/x.sh" is not run, whatever the file system: serveFile
	// refuses it where it opens cgi-bin/x.sh (notScripts).
	for name, want := range map[string]bool{"cgi-bin": true, "cgi-bin/x.sh": true, "CGI-BIN/x.sh": false, "cgi-binx/y": false, "a/cgi-bin/x": false} {
		if isCGI(name) != want {
			t.Errorf("isCGI(%q) = %v", name, !want)
		}
	}
}
