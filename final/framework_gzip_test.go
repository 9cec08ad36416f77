//go:build unix

package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gzipGet asks for target with Accept-Encoding: gzip, and returns the
// response with its body decoded.
func (ts *testServer) gzipGet(t *testing.T, method, target string) (*clientResponse, []byte) {
	t.Helper()
	conn := ts.dial(t)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n", method, target)
	resp, err := readResponse(bufio.NewReader(conn), method)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	if resp.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("%s %s: Content-Encoding %q, want gzip", method, target, resp.header.Get("Content-Encoding"))
	}
	if method == "HEAD" {
		return resp, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(resp.body))
	if err != nil {
		t.Fatalf("%s %s: not gzip: %v", method, target, err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s %s: a broken gzip stream: %v", method, target, err)
	}
	return resp, body
}

// gzipCopy is the server's compressed copy of a file, if it keeps one.
func (ts *testServer) gzipCopy(name string) (gzipCopy, bool) {
	ts.site.gzips.mu.Lock()
	defer ts.site.gzips.mu.Unlock()
	cp, ok := ts.site.gzips.copies[name]
	return cp, ok
}

// TestGzipCopies: a small file's compressed copy is made once, kept while
// the file stays the same and made again when it changes; a big file is
// compressed as it goes out, in chunks, in every serving mode.
func TestGzipCopies(t *testing.T) { forEachMode(t, testGzipCopies) }

func testGzipCopies(t *testing.T, mode string) {
	ts := startTestServer(t, testServerOptions{mode: mode})
	before := ts.idle(t)
	page := filepath.Join(ts.root, "page.txt")
	first := strings.Repeat("the first version of a page\n", 40)
	writeFile(t, page, first)

	_, body := ts.gzipGet(t, "GET", "/page.txt")
	kept, ok := ts.gzipCopy("page.txt")
	if string(body) != first || !ok {
		t.Fatalf("GET /page.txt: %d bytes decoded, want %d; a copy kept: %v", len(body), len(first), ok)
	}
	ts.gzipGet(t, "GET", "/page.txt")
	if again, _ := ts.gzipCopy("page.txt"); &again.gz[0] != &kept.gz[0] {
		t.Error("GET /page.txt again: the copy was made again, not the one kept")
	}
	// A new version (a new size: a rewrite of the same size within one
	// tick of the file system's clock would keep its time, and its tag).
	second := strings.Repeat("the second version\n", 50)
	writeFile(t, page, second)
	if _, body := ts.gzipGet(t, "GET", "/page.txt"); string(body) != second {
		t.Errorf("GET /page.txt after a change: %q..., want the second version", body[:min(len(body), 40)])
	}

	var big strings.Builder
	for i := range 40000 {
		fmt.Fprintf(&big, "line %d of a big text file\n", i)
	}
	writeFile(t, filepath.Join(ts.root, "big.txt"), big.String())
	resp, body := ts.gzipGet(t, "GET", "/big.txt")
	if string(body) != big.String() || resp.header.Get("Content-Length") != "" || len(resp.body) > big.Len()/4 {
		t.Errorf("GET /big.txt: %d bytes decoded from %d, Content-Length %q; want %d from at most a quarter, in chunks",
			len(body), len(resp.body), resp.header.Get("Content-Length"), big.Len())
	}
	if _, ok := ts.gzipCopy("big.txt"); ok {
		t.Errorf("a copy of big.txt (%d bytes) was kept: only files up to %d are", big.Len(), gzipCacheFile)
	}
	if resp, _ := ts.gzipGet(t, "HEAD", "/big.txt"); len(resp.body) != 0 || resp.header.Get("ETag") == "" {
		t.Errorf("HEAD /big.txt: a body of %d bytes, ETag %q", len(resp.body), resp.header.Get("ETag"))
	}
	checkNoLeaks(t, before)
}

// TestGzipStaticSymlink: a name.gz beside a file is sent as it is only if
// it is a file itself: a symlink could lead into cgi-bin, whose scripts'
// source must never go out, not even compressed.
func TestGzipStaticSymlink(t *testing.T) {
	ts := startTestServer(t, testServerOptions{})
	text := strings.Repeat("a page long enough to compress\n", 20)
	writeFile(t, filepath.Join(ts.root, "long.txt"), text)
	if err := os.Symlink("cgi-bin/env.sh", filepath.Join(ts.root, "long.txt.gz")); err != nil {
		t.Fatal(err)
	}
	if _, body := ts.gzipGet(t, "GET", "/long.txt"); string(body) != text {
		t.Errorf("GET /long.txt: %q, want the file, compressed by the server", body)
	}
}

// TestGzipBusy: with every turn to compress taken (gzipAtOnce), a client
// that takes the file as it is gets it so, with Vary still; one that takes
// gzip only gets 503 and Retry-After; a copy kept is still sent.
func TestGzipBusy(t *testing.T) {
	ts := startTestServer(t, testServerOptions{})
	text := strings.Repeat("a page long enough to compress\n", 20)
	writeFile(t, filepath.Join(ts.root, "kept.txt"), text)
	writeFile(t, filepath.Join(ts.root, "new.txt"), text)
	ts.gzipGet(t, "GET", "/kept.txt") // its copy is made, and kept
	for i := range gzipAtOnce {
		ts.site.gzips.plan(fmt.Sprint("taken-", i), `"1"`)
	}
	ask := func(target, accept string) *clientResponse {
		conn := ts.dial(t)
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: %s\r\nConnection: close\r\n\r\n", target, accept)
		resp, err := readResponse(bufio.NewReader(conn), "GET")
		if err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
		return resp
	}
	if r := ask("/new.txt", "gzip"); r.status != 200 || r.header.Get("Content-Encoding") != "" || string(r.body) != text || r.header.Get("Vary") == "" {
		t.Errorf("every turn taken, GET /new.txt: %d, Content-Encoding %q, Vary %q; want the file as it is, with Vary", r.status, r.header.Get("Content-Encoding"), r.header.Get("Vary"))
	}
	if r := ask("/new.txt", "gzip, identity;q=0"); r.status != 503 || r.header.Get("Retry-After") != "1" {
		t.Errorf("every turn taken, gzip only: %d, Retry-After %q; want 503, 1", r.status, r.header.Get("Retry-After"))
	}
	if r := ask("/kept.txt", "gzip"); r.header.Get("Content-Encoding") != "gzip" {
		t.Errorf("every turn taken, a copy kept: Content-Encoding %q, want gzip", r.header.Get("Content-Encoding"))
	}
	for range gzipAtOnce {
		ts.site.gzips.done()
	}
	if r := ask("/new.txt", "gzip"); r.header.Get("Content-Encoding") != "gzip" {
		t.Errorf("turns given back: Content-Encoding %q, want gzip", r.header.Get("Content-Encoding"))
	}
}
