//go:build unix

package main

// Hostile input, round two (issue 14): the request line, Host, versions
// and chunk framing, over real sockets in every serving mode. The reader's
// own tests, byte by byte, are in server_request_strict_test.go.

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"time"
)

// chunkedPost is the head of a chunked POST to a route that reads bodies.
const chunkedPost = "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n"

var parsingCases = []hostileCase{
	// Host (item 3): exactly the grammar of RFC 9110 §7.2 and RFC 3986
	// §3.2.2-3, and no bad value ever reaches a CGI script.
	{name: "absolute-form-empty-host", raw: "GET http:///small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9110 §4.2.1: an http URI with an empty host MUST be rejected"},
	{name: "absolute-form-empty-host-port", raw: "GET http://:80/small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9110 §4.2.1: no host, only a port"},
	{name: "absolute-form-empty-host-cgi", raw: "GET http:///cgi-bin/env.sh HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", lacks: "SERVER_NAME", note: "RFC 9110 §4.2.1: the script never runs"},
	{name: "host-port-not-digits", raw: "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1:abc\r\n\r\n", want: "400 close", note: "RFC 3986 §3.2.3: port = *DIGIT; RFC 9112 §3.2: 400 for an invalid Host"},
	{name: "host-port-too-big", raw: "GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1:65536\r\n\r\n", want: "400 close", note: "a TCP port has 16 bits"},
	{name: "host-ipv6-unclosed", raw: "GET /small.txt HTTP/1.1\r\nHost: [::1\r\n\r\n", want: "400 close", note: "RFC 3986 §3.2.2: IP-literal = \"[\" IPv6address \"]\""},
	{name: "host-ipv6-not-an-address", raw: "GET /small.txt HTTP/1.1\r\nHost: [a.b]\r\n\r\n", want: "400 close", note: "RFC 3986 §3.2.2"},
	{name: "host-only-port", raw: "GET /small.txt HTTP/1.1\r\nHost: :80\r\n\r\n", want: "400 close", note: "RFC 9110 §4.2.1: an http URI has a host"},
	{name: "host-bad-port-cgi", raw: "GET /cgi-bin/env.sh HTTP/1.1\r\nHost: 127.0.0.1:abc\r\n\r\n", want: "400 close", lacks: "SERVER_NAME", note: "the bad value never reaches SERVER_NAME or HTTP_HOST"},
	{name: "host-ipv6-cgi", raw: "GET /cgi-bin/env.sh HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n", want: "200 keep", has: "\nSERVER_NAME=[::1]\n", note: "RFC 3875 §4.1.14: an IPv6 SERVER_NAME in brackets"},
	{name: "host-ipv6-cgi-http-host", raw: "GET /cgi-bin/env.sh HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n", want: "200 keep", has: "\nHTTP_HOST=[::1]:8000\n", note: "RFC 3875 §4.1.18"},

	// Versions (item 10): the same major version with a higher minor one
	// is read as HTTP/1.1 (RFC 9110 §2.5, §6.2).
	{name: "version-1.2", raw: "GET /small.txt HTTP/1.2\r\n" + hostLine + "\r\n", want: "200 keep", note: "RFC 9110 §2.5: processed as HTTP/1.1, kept alive as 1.1 is"},
	{name: "version-1.9-chunked", raw: "POST /hello/x HTTP/1.9\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", want: "200 keep", note: "RFC 9110 §2.5: as HTTP/1.1, chunked and all"},
	{name: "version-1.2-no-host", raw: "GET /small.txt HTTP/1.2\r\n\r\n", want: "400 close", note: "RFC 9112 §3.2: as HTTP/1.1, Host is required"},
	{name: "version-3", raw: "GET /small.txt HTTP/3.0\r\n" + hostLine + "\r\n", want: "505 close", note: "RFC 9110 §15.6.6: another major version"},

	// The request line (items 12, 13, 14): each part has its own limit,
	// and a line that can't be valid is refused at its first wrong byte,
	// not at the head timeout.
	{name: "method-100KB", raw: strings.Repeat("M", 100000), want: "501 close", note: "RFC 9110 §9.1: a method longer than any we implement; not 414, the long thing is not a URI"},
	{name: "method-too-long", raw: strings.Repeat("M", maxMethod+1) + " /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "501 close", note: "RFC 9110 §9.1: one byte over maxMethod"},
	{name: "method-long-but-possible", raw: strings.Repeat("M", maxMethod) + " /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "501 keep", note: "RFC 9110 §15.6.2: an unknown method, read whole"},
	{name: "method-not-tchar-no-line-end", raw: "G\x01", want: "400 close", note: "RFC 9110 §9.1: a method is a token: known bad at its second byte"},
	{name: "binary-no-line-end", raw: "\x80\x81\x82\x83", want: "400 close", note: "no tchar where the method goes, and no line end: 400, not 408"},
	{name: "binary-line", raw: "\x16\x03\x01\x02\x00\x01\r\n", want: "400 close", note: "binary garbage with a line end"},
	{name: "target-control-no-line-end", raw: "GET /a\x01b", want: "400 close", note: "RFC 9112 §3.2: a control byte in the target"},
	{name: "version-garbage-no-line-end", raw: "GET / HTTP/1.1x", want: "400 close", note: "RFC 9112 §2.3: the version has 8 bytes"},
	{name: "version-not-http-no-line-end", raw: "GET / FTP", want: "400 close", note: "RFC 9112 §2.3"},
	{name: "line-still-possible", raw: "GET /small.txt HTTP/1.1", want: "408 close", note: "a line that may still become valid waits for its end, until the head timeout (RFC 9110 §15.5.9)"},
	{name: "target-fragment", raw: "GET /small.txt#top HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §3.2: a fragment is not part of a request target"},
	{name: "target-fragment-empty", raw: "GET /small.txt# HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §3.2"},
	{name: "target-fragment-absolute", raw: "GET http://127.0.0.1/small.txt#top HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §3.2.2: absolute-URI has no fragment"},
	{name: "target-encoded-hash", raw: "GET /small.txt%23top HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "%23 is a \"#\" in a name, not a fragment"},

	// Chunk sizes (item 11): 1*HEXDIG, and whitespace only before ";".
	{name: "chunk-size-trailing-space", raw: chunkedPost + "5 \r\nhello\r\n0\r\n\r\n", want: "400 close", note: "RFC 9112 §7.1: chunk-size = 1*HEXDIG; the lenient reading is how requests get smuggled"},
	{name: "chunk-size-trailing-tab", raw: chunkedPost + "5\t\r\nhello\r\n0\r\n\r\n", want: "400 close", note: "RFC 9112 §7.1"},
	{name: "chunk-last-size-trailing-space", raw: chunkedPost + "5\r\nhello\r\n0 \r\n\r\n", want: "400 close", note: "RFC 9112 §7.1: the last chunk too"},
	{name: "chunk-size-space-inside", raw: chunkedPost + "1 0\r\n" + strings.Repeat("x", 16) + "\r\n0\r\n\r\n", want: "400 close", note: "RFC 9112 §7.1"},
	{name: "chunk-size-bws-extension", raw: chunkedPost + "5 ;a=b\r\nhello\r\n0\t;c\r\n\r\n", want: "200 keep", note: "RFC 9112 §7.1.1: BWS before \";\" is allowed"},

	// Chunk extensions (item 7): counted against a budget per request.
	{name: "chunk-extensions-flood", raw: chunkedPost + strings.Repeat("1;"+strings.Repeat("e", 4000)+"\r\nx\r\n", 50) + "0\r\n\r\n", want: "400 close", note: "CVE-2023-39326: 200 KB of extensions around 50 bytes"},
	{name: "chunk-zeros-flood", raw: chunkedPost + strings.Repeat(strings.Repeat("0", 4000)+"1\r\nx\r\n", 50) + "0\r\n\r\n", want: "400 close", note: "the same with zeros before each size"},
	{name: "chunk-a-byte-a-chunk", raw: chunkedPost + strings.Repeat("1\r\nx\r\n", 5000) + "0\r\n\r\n", want: "200 keep", note: "streaming a byte at a time is legitimate: 5 bytes of framing per byte are free"},
}

func TestHostileParsing(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) { testHostile(t, mode, parsingCases) })
}

// TestChunkExtensionFlood: 8 MB of chunk extensions around a 2 KB body
// (issue 14, item 7). Each line is under maxChunkLine, so only a budget
// for the whole body stops it: a 400 and a close, long before the 8 MB
// are in, in every mode.
func TestChunkExtensionFlood(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) {
		ts := startTestServer(t, testServerOptions{mode: mode})
		conn := ts.dial(t)
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		chunk := "1;" + strings.Repeat("e", 4000) + "\r\nx\r\n"
		go func() {
			// The server stops reading, and closes: the writes then fail.
			io.WriteString(conn, chunkedPost)
			for range 2048 {
				if _, err := io.WriteString(conn, chunk); err != nil {
					return
				}
			}
			io.WriteString(conn, "0\r\n\r\n")
		}()
		br := bufio.NewReader(conn)
		resp, err := readResponse(br, "POST")
		if err != nil || resp.status != 400 || !resp.close {
			t.Fatalf("8 MB of extensions around 2 KB: %v, %v; want a 400 and Connection: close", resp, err)
		}
		if _, err := br.ReadByte(); err == nil {
			t.Fatal("the connection stays open after the 400")
		}
		ts.checkAlive(t)
	})
}
