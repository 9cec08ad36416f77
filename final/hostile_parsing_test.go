//go:build unix

package main

// Hostile input, round two (issue 14): the request line, Host, versions
// and chunk framing, over real sockets in every serving mode. The reader's
// own tests, byte by byte, are in server_request_strict_test.go.

import (
	"strings"
	"testing"
)

// chunkedPost is the head of a chunked POST to a route that reads bodies.
const chunkedPost = "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n"

var parsingCases = []hostileCase{
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
}

func TestHostileParsing(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) { testHostile(t, mode, parsingCases) })
}
