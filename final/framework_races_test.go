//go:build unix

package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestFileReplacedIfRange: a file replaced by another while a request for
// it is answered (a deploy renames the new version into place) goes out
// under the validators of the file whose bytes are sent. A part of the
// new version under the old version's ETag would be glued, by a client
// resuming a download with If-Range, to the rest of the old one (RFC 9110
// §8.8.3, §13.1.5). Two versions swap places as fast as rename allows,
// while a client asks for the end of the first with If-Range: every 206
// must hold the first's bytes.
func TestFileReplacedIfRange(t *testing.T) { forEachMode(t, testFileReplacedIfRange) }

func testFileReplacedIfRange(t *testing.T, mode string) {
	ts := startTestServer(t, testServerOptions{mode: mode})
	versions := map[string]string{"a": strings.Repeat("A", 1000), "b": strings.Repeat("B", 1000)}
	for v, content := range versions {
		writeFile(t, filepath.Join(ts.root, "race."+v), content)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(ts.root, "race.b"), later, later); err != nil {
		t.Fatal(err)
	}
	target, next := filepath.Join(ts.root, "race.bin"), filepath.Join(ts.root, "race.new")
	swap := func(v string) {
		os.Remove(next)
		if err := os.Link(filepath.Join(ts.root, "race."+v), next); err != nil {
			t.Error(err)
			return
		}
		if err := os.Rename(next, target); err != nil {
			t.Error(err)
		}
	}
	swap("a")
	conn := ts.dial(t)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(conn)
	fmt.Fprint(conn, "GET /race.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	first, err := readResponse(br, "GET")
	if err != nil || first.status != 200 {
		t.Fatalf("GET /race.bin: %v, %v", first, err)
	}
	tagA := first.header.Get("ETag")

	var stop atomic.Bool
	swapped := make(chan struct{})
	go func() {
		defer close(swapped)
		for i := 0; !stop.Load(); i++ {
			swap([]string{"b", "a"}[i%2])
		}
	}()
	var partial, whole, wrong int
	for range 2000 {
		fmt.Fprintf(conn, "GET /race.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-Range: %s\r\nRange: bytes=990-\r\n\r\n", tagA)
		resp, err := readResponse(br, "GET")
		if err != nil {
			stop.Store(true)
			t.Fatalf("after %d answers: %v", partial+whole, err)
		}
		switch {
		case resp.status == 206 && string(resp.body) != versions["a"][990:]:
			wrong++
		case resp.status == 206:
			partial++
		default:
			whole++
		}
	}
	stop.Store(true)
	<-swapped
	if wrong > 0 {
		t.Errorf("%d of %d answers were 206 with the new version's bytes, under the old version's ETag (If-Range %s); %d right 206s, %d 200s",
			wrong, wrong+partial+whole, tagA, partial, whole)
	}
}

// TestGzipFileShrinks: a big file compressed as it goes out, cut short
// under the server (rewritten in place), must not end with a last chunk:
// the client would take the part for the whole, under an ETag that names
// the whole (RFC 9112 §7.1: the last chunk says the body is complete).
// It ends with the connection, as for a file sent as it is (sendFile).
func TestGzipFileShrinks(t *testing.T) { forEachMode(t, testGzipFileShrinks) }

func testGzipFileShrinks(t *testing.T, mode string) {
	// Small buffers on both ends: the server waits for the client half way.
	ts := startTestServer(t, testServerOptions{mode: mode, sendBuffer: 16 << 10})
	big := filepath.Join(ts.root, "big.txt")
	raw := make([]byte, 6<<20)
	rand.Read(raw)
	writeFile(t, big, base64.StdEncoding.EncodeToString(raw)) // text that compresses poorly
	conn := ts.dial(t)
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(16 << 10)
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(conn, "GET /big.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.Header.Get("Content-Encoding") != "gzip" || resp.TransferEncoding == nil {
		t.Fatalf("GET /big.txt with gzip: %v, %v; want gzip, in chunks", resp, err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 1<<20); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil {
		t.Errorf("the file cut from 8 MiB to 1 MiB as it was sent: the answer ended cleanly, with its last chunk, after %d bytes more; want it cut off", n)
	}
}
