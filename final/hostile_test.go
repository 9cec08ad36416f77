//go:build unix

package main

// Hostile input: raw requests that a port scanner, a broken client or a
// curious student might send, each with the exact answer it must get. The
// rules come from RFC 9112 (HTTP/1.1 messages), RFC 9110 (HTTP semantics)
// and RFC 3875 (CGI); the attacks from known server CVEs and from
// request-smuggling research (Linhart et al., "HTTP Request Smuggling",
// 2005; Kettle, "HTTP Desync Attacks", 2019).

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostileCase is one attack: the bytes, sent in one write on a new
// connection, and the outcome, exactly.
type hostileCase struct {
	name string
	raw  string
	// want is the status of every response, in order, then "keep" (the
	// connection stays open: a normal request on it must then get its
	// 200) or "close" (the server closes it, after a "Connection: close").
	// "close" alone: closed without a byte of response.
	want string
	// has: the last response's body holds it; lacks: no response holds it.
	has, lacks string
	note       string // the rule, or the attack
}

// hostLine is a valid Host field line, to keep the table readable.
const hostLine = "Host: 127.0.0.1\r\n"

// tlsHello is the start of a TLS ClientHello, what an https:// client or
// a TLS scanner sends first: no line end anywhere in it.
const tlsHello = "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" +
	"\x5e\x23\x99\x01\xab\xcd\xef\x10\x32\x54\x76\x98\xba\xdc\xfe\x00" +
	"\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x01\x00\x00\x02\x13\x01"

var hostileCases = []hostileCase{
	// Path traversal: no spelling of "..", and no symlink, leads out of
	// the document root (os.Root refuses it, fileName refuses ".." in any
	// encoding before that). CVE-2021-41773 and CVE-2021-42013 (Apache
	// 2.4.49/50: "%2e" and "%%32%65"), CVE-2000-0884 (IIS: overlong UTF-8),
	// CVE-2001-0333 (IIS: double decoding).
	{name: "options-asterisk", raw: "OPTIONS * HTTP/1.1\r\n" + hostLine + "\r\n", want: "204 keep", note: "RFC 9112 §3.2.4: the asterisk-form, the server as a whole"},
	{name: "get-asterisk", raw: "GET * HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §3.2.4: the asterisk-form is for OPTIONS only"},
	{name: "file-as-folder", raw: "GET /small.txt/ HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "a file is not a folder: one file, one URL"},
	{name: "dotdot", raw: "GET /../secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", note: "a \"..\" segment: refused before any file is opened"},
	{name: "dotdot-deep", raw: "GET /notes/../../secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", note: "climbing out through a real folder"},
	{name: "dotdot-encoded", raw: "GET /%2e%2e/secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", note: "CVE-2021-41773: %2e is \".\""},
	{name: "dotdot-upper-encoded", raw: "GET /%2E%2E/secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", note: "hex digits in either case (RFC 3986 §2.1)"},
	{name: "dotdot-half-encoded", raw: "GET /.%2e/secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", note: "CVE-2021-41773's exact form"},
	{name: "dotdot-slash-encoded", raw: "GET /..%2fsecret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", note: "%2f is \"/\": the segment appears only once decoded"},
	{name: "dotdot-all-encoded", raw: "GET /%2e%2e%2f%2e%2e%2fsecret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", note: "every byte encoded"},
	{name: "dotdot-double-encoded", raw: "GET /%252e%252e/secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "CVE-2001-0333: decoded once, \"%2e%2e\" is a name, not \"..\""},
	{name: "dotdot-nested-encoding", raw: "GET /%%32%65%%32%65/secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", note: "CVE-2021-42013: \"%%32%65\" is not a valid escape"},
	{name: "dotdot-overlong-utf8", raw: "GET /%c0%ae%c0%ae/secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "CVE-2000-0884: overlong UTF-8 for \".\" is two bytes of a name, never \".\""},
	{name: "dotdot-backslash", raw: "GET /..%5csecret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", note: "%5c is \"\\\", a separator on Windows"},
	{name: "dotdot-raw-backslash", raw: "GET /notes\\..\\..\\secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", note: "a backslash as sent by a Windows tool"},
	{name: "dotdot-absolute-form", raw: "GET http://127.0.0.1/../secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", note: "the same check after the absolute form is taken apart (RFC 9112 §3.2.2)"},
	{name: "dotdot-cgi-path-info", raw: "GET /cgi-bin/env.sh/../../secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", note: "through a script's PATH_INFO"},
	{name: "nul-byte", raw: "GET /secret.txt%00.html HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", note: "a NUL ends the name for the OS underneath: \"secret.txt\""},
	{name: "symlink-file", raw: "GET /link-to-secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "a symlink in the root to a file outside it (relative)"},
	{name: "symlink-absolute", raw: "GET /abs-secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "a symlink to an absolute path outside the root"},
	{name: "symlink-folder", raw: "GET /up/secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "a symlink to the folder above the root"},
	{name: "symlink-folder-listing", raw: "GET /up/ HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", lacks: "secret.txt", note: "no listing of the folder outside"},
	{name: "symlink-deep", raw: "GET /notes/deep/up2/secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "a symlink three levels up"},
	{name: "listing-hides-links-out", raw: "GET /notes/deep/ HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 keep", has: "c.txt", lacks: "up2", note: "a listing shows no link that leads out of the root"},

	// The request line (RFC 9112 §3): method SP target SP version, one
	// space each, nothing else. Every doubt is a 400 and a close.
	{name: "two-spaces", raw: "GET  /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §3: exactly one SP"},
	{name: "leading-space", raw: " GET /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §3: the line starts with the method"},
	{name: "trailing-space", raw: "GET /small.txt HTTP/1.1 \r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §3"},
	{name: "tab-separator", raw: "GET\t/small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §3: SP, not whitespace"},
	{name: "http09-with-blank-line", raw: "GET /small.txt\r\n\r\n", want: "400 close", note: "HTTP/0.9's line has no version: we never answer with a bare body (RFC 9112 §2.3)"},
	{name: "http09-alone", raw: "GET /small.txt\r\n", want: "400 close", note: "HTTP/0.9's line, which waits for the body at once: no version, refused as soon as the line ends, not at the head deadline (RFC 9112 §3)"},
	{name: "version-lowercase", raw: "GET /small.txt http/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §2.3: HTTP-name is case-sensitive"},
	{name: "version-two-digits", raw: "GET /small.txt HTTP/1.10\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §2.3: one digit each side of the dot"},
	{name: "version-2", raw: "GET /small.txt HTTP/2.0\r\n" + hostLine + "\r\n", want: "505 close", note: "RFC 9110 §15.6.6: a major version we don't speak"},
	{name: "version-0.9", raw: "GET /small.txt HTTP/0.9\r\n" + hostLine + "\r\n", want: "505 close", note: "RFC 9110 §15.6.6"},
	{name: "version-missing-minor", raw: "GET /small.txt HTTP/1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §2.3"},
	{name: "method-not-token", raw: "G(T /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9110 §9.1: a method is a token"},
	{name: "method-lowercase", raw: "get /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "501 keep", note: "RFC 9110 §9.1: methods are case-sensitive, \"get\" is unknown: 501"},
	{name: "method-unknown", raw: "BREW /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "501 keep", note: "RFC 9110 §15.6.2"},
	{name: "method-trace", raw: "TRACE /small.txt HTTP/1.1\r\n" + hostLine + "X-Cookie-Echo: stolen\r\n\r\n", want: "405 keep", lacks: "stolen", note: "cross-site tracing: TRACE never echoes the request"},
	{name: "target-relative", raw: "GET small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §3.2: origin-form starts with \"/\""},
	{name: "target-connect-authority", raw: "CONNECT 127.0.0.1:22 HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "we are not a proxy: no tunnel to another port"},
	{name: "target-nul", raw: "GET /small\x00.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §3.2: no control characters in the target"},
	{name: "target-bare-cr", raw: "GET /small.txt\rHTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §2.2: a bare CR is invalid"},
	{name: "target-utf8", raw: "GET /caf\xc3\xa9 HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 3986 §2: non-ASCII arrives percent-encoded"},
	{name: "line-too-long", raw: "GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\n" + hostLine + "\r\n", want: "414 close", note: "RFC 9112 §3: 414 for a line longer than we read"},
	{name: "line-too-long-no-end", raw: "GET /" + strings.Repeat("a", 20000), want: "414 close", note: "no need to wait for the end of a line already too long"},
	{name: "empty-lines-first", raw: "\r\n\r\nGET /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 keep", note: "RFC 9112 §2.2: a server SHOULD ignore empty lines before the request line"},
	{name: "bare-lf", raw: "GET /small.txt HTTP/1.1\nHost: 127.0.0.1\n\n", want: "200 keep", note: "RFC 9112 §2.2: a recipient MAY take a bare LF as a line end"},

	// Header fields (RFC 9112 §5, RFC 9110 §5).
	{name: "host-missing", raw: "GET /small.txt HTTP/1.1\r\n\r\n", want: "400 close", note: "RFC 9112 §3.2: MUST answer 400 to an HTTP/1.1 request without Host"},
	{name: "host-twice", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "Host: evil.example\r\n\r\n", want: "400 close", note: "RFC 9112 §3.2: MUST answer 400 to more than one Host"},
	{name: "host-twice-http10", raw: "GET /small.txt HTTP/1.0\r\n" + hostLine + hostLine + "\r\n", want: "400 close", note: "two Hosts: which one would a cache and we each read?"},
	{name: "host-invalid", raw: "GET /small.txt HTTP/1.1\r\nHost: a b\r\n\r\n", want: "400 close", note: "RFC 9112 §3.2: MUST answer 400 to an invalid Host"},
	{name: "host-userinfo", raw: "GET /small.txt HTTP/1.1\r\nHost: user@evil.example\r\n\r\n", want: "400 close", note: "RFC 9110 §7.2: no userinfo in Host"},
	{name: "host-empty", raw: "GET /small.txt HTTP/1.1\r\nHost:\r\n\r\n", want: "200 keep", note: "RFC 9112 §3.2: an empty Host is valid"},
	{name: "absolute-form-userinfo", raw: "GET http://user@evil.example/small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "RFC 9110 §4.2.4: no userinfo in an http URI; the target's host replaces Host (RFC 9112 §3.2.2)"},
	{name: "host-absolute-form-wins", raw: "GET http://127.0.0.1/small.txt HTTP/1.1\r\nHost: evil.example\r\n\r\n", want: "200 keep", note: "RFC 9112 §3.2.2: the target's host overrides Host"},
	{name: "http10-no-host", raw: "GET /small.txt HTTP/1.0\r\n\r\n", want: "200 close", note: "HTTP/1.0 needs no Host, and closes by default (RFC 9112 §9.3)"},
	{name: "http10-keep-alive", raw: "GET /small.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", want: "200 keep", note: "RFC 9112 §9.3, the HTTP/1.0 keep-alive"},
	{name: "connection-close", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "Connection: close\r\n\r\n", want: "200 close", note: "RFC 9112 §9.6"},
	{name: "space-before-colon", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "X-A : 1\r\n\r\n", want: "400 close", note: "RFC 9112 §5.1: MUST reject a space between name and colon with 400"},
	{name: "host-space-before-colon", raw: "GET /small.txt HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n", want: "400 close", note: "RFC 9112 §5.1: a proxy might read this Host, a server not"},
	{name: "name-with-space", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "X A: 1\r\n\r\n", want: "400 close", note: "RFC 9110 §5.1: a field name is a token"},
	{name: "name-empty", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + ": 1\r\n\r\n", want: "400 close", note: "RFC 9110 §5.1"},
	{name: "name-non-ascii", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "X-\xc3\xa9: 1\r\n\r\n", want: "400 close", note: "RFC 9110 §5.1"},
	{name: "no-colon", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "just words\r\n\r\n", want: "400 close", note: "RFC 9112 §5"},
	{name: "obs-fold", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "X-A: 1\r\n folded\r\n\r\n", want: "400 close", note: "RFC 9112 §5.2: a server MUST reject obs-fold with 400, or unfold it"},
	{name: "whitespace-after-request-line", raw: "GET /small.txt HTTP/1.1\r\n " + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §2.2: MUST reject, or ignore, a line starting with whitespace after the request line"},
	{name: "bare-cr-in-value", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "X-A: 1\rX-B: 2\r\n\r\n", want: "400 close", note: "RFC 9112 §2.2: a bare CR MUST be treated as invalid (or replaced by SP)"},
	{name: "bare-cr-line-ends", raw: "GET /small.txt HTTP/1.1\r" + hostLine + "\r\n", want: "400 close", note: "RFC 9112 §2.2: CR alone is not a line end"},
	{name: "nul-in-value", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "X-A: 1\x002\r\n\r\n", want: "400 close", note: "RFC 9110 §5.5: MUST reject, or replace, NUL in a field value"},
	{name: "obs-text-in-value", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "X-A: caf\xe9\r\n\r\n", want: "200 keep", note: "RFC 9110 §5.5: obs-text (bytes 0x80-0xFF) is allowed in a value"},
	{name: "headers-too-big", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + strings.Repeat("X-Padding: "+strings.Repeat("p", 90)+"\r\n", 400) + "\r\n", want: "431 close", note: "RFC 6585 §5: a head beyond our 32 KiB"},
	{name: "header-line-too-big", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "X-A: " + strings.Repeat("a", 40000) + "\r\n\r\n", want: "431 close", note: "RFC 6585 §5: one field too large"},
	{name: "expect-unknown", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "Expect: magic\r\n\r\n", want: "417 close", note: "RFC 9110 §10.1.1: 417 for an expectation we can't meet"},
	{name: "expect-continue-no-body", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n", want: "100 408 close", note: "RFC 9110 §10.1.1: 100 Continue, then the body never comes: 408"},

	// Message framing (RFC 9112 §6): where the body ends. The heart of
	// request smuggling: a proxy and a server that disagree on it see
	// different requests in the same bytes.
	{name: "cl-te", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", want: "400 close", note: "CL.TE smuggling: both framings, RFC 9112 §6.3 point 3: an error, and close"},
	{name: "te-cl", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n", want: "400 close", note: "TE.CL smuggling"},
	{name: "cl-twice-different", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde", want: "400 close", note: "RFC 9112 §6.3 point 5: differing lengths are unrecoverable"},
	{name: "cl-twice-same", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", want: "400 close", note: "RFC 9110 §8.6 allows one value repeated; we take no chances"},
	{name: "cl-list", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Content-Length: 3, 3\r\n\r\nabc", want: "400 close", note: "RFC 9110 §8.6"},
	{name: "cl-negative", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Content-Length: -1\r\n\r\n", want: "400 close", note: "RFC 9110 §8.6: 1*DIGIT"},
	{name: "cl-plus", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Content-Length: +3\r\n\r\nabc", want: "400 close", note: "RFC 9110 §8.6: 1*DIGIT, no sign"},
	{name: "cl-hex", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Content-Length: 0x3\r\n\r\nabc", want: "400 close", note: "RFC 9110 §8.6: decimal only"},
	{name: "cl-empty", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Content-Length:\r\n\r\n", want: "400 close", note: "RFC 9110 §8.6"},
	{name: "cl-overflow", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Content-Length: 18446744073709551617\r\n\r\n", want: "400 close", note: "a length past 2^64: it must not wrap to 1"},
	{name: "cl-too-large", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Content-Length: 1048577\r\n\r\n", want: "413 close", note: "RFC 9110 §15.5.14: more than our 1 MiB"},
	{name: "cl-body-short", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Content-Length: 10\r\n\r\nabc", want: "408 close", note: "the rest never comes: 408 at the body deadline"},
	{name: "get-with-body", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "Content-Length: 34\r\n\r\nGET /secret.txt HTTP/1.1\r\nHost: x\r\n\r\n", want: "200 keep", note: "a GET's body is a body, never a request (the CL.0 desync)"},
	{name: "te-http10", raw: "POST /hello/x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: "400 close", note: "RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing"},
	{name: "te-not-last", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked, gzip\r\n\r\n", want: "400 close", note: "RFC 9112 §6.3: chunked not last: MUST answer 400 and close"},
	{name: "te-unknown", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: gzip\r\n\r\n", want: "400 close", note: "RFC 9112 §6.3: no chunked at all"},
	{name: "te-chunked-twice", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", want: "400 close", note: "RFC 9112 §7: chunked MUST NOT be applied more than once"},
	{name: "te-gzip-chunked", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: gzip, chunked\r\n\r\n", want: "501 close", note: "RFC 9112 §6.1: a coding we don't do, SHOULD be 501"},
	{name: "te-obfuscated-name", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: xchunked\r\n\r\n", want: "400 close", note: "Kettle 2019: a coding one side reads as chunked"},
	{name: "te-second-line", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n", want: "400 close", note: "Kettle 2019: two lines, one side reads the first, one the last"},
	{name: "te-vertical-tab", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n", want: "400 close", note: "Kettle 2019: whitespace some parsers skip"},
	{name: "te-space-before-colon", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", want: "400 close", note: "RFC 9112 §5.1"},
	{name: "te-empty", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding:\r\n\r\n", want: "400 close", note: "RFC 9112 §6.1: a Transfer-Encoding names at least one coding"},
	{name: "te-case-and-tab", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding:\tChunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", want: "200 keep", note: "RFC 9112 §7: coding names ignore case; tab is whitespace (OWS)"},

	// Chunked bodies (RFC 9112 §7.1).
	{name: "chunk-size-not-hex", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", want: "400 close", note: "RFC 9112 §7.1: chunk-size is 1*HEXDIG"},
	{name: "chunk-size-negative", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n", want: "400 close", note: "RFC 9112 §7.1"},
	{name: "chunk-size-0x", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n", want: "400 close", note: "RFC 9112 §7.1: no \"0x\""},
	{name: "chunk-size-overflow", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n10000000000000003\r\nabc\r\n0\r\n\r\n", want: "400 close", note: "a size that wraps to 3 in 64 bits (CVE-2015-3183 class)"},
	{name: "chunk-size-leading-space", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n 3\r\nabc\r\n0\r\n\r\n", want: "400 close", note: "RFC 9112 §7.1: no whitespace before the size"},
	{name: "chunk-too-long", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n", want: "400 close", note: "more data than the size said"},
	{name: "chunk-bare-lf", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", want: "400 close", note: "CVE-2025-22871: a bare LF in chunked framing"},
	{name: "chunk-ext-control", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n3;a=\x01\r\nabc\r\n0\r\n\r\n", want: "400 close", note: "RFC 9112 §7.1.1: a chunk extension is tokens and quoted strings"},
	{name: "chunk-ext-too-long", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n3;" + strings.Repeat("x", 5000) + "\r\nabc\r\n0\r\n\r\n", want: "400 close", note: "RFC 9112 §7.1.1: a server limits extensions (CVE-2023-39326 class)"},
	{name: "chunk-too-large", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n100001\r\n", want: "413 close", note: "RFC 9110 §15.5.14: announced over our 1 MiB"},
	{name: "chunk-trailer-bad", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n0\r\nno colon\r\n\r\n", want: "400 close", note: "RFC 9112 §7.1.2: a trailer is a field line"},
	{name: "chunk-trailer-smuggles-length", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 50\r\n\r\n", want: "200 keep", note: "RFC 9110 §6.5.1: a trailer never changes the framing"},

	// Pipelining (RFC 9112 §9.3.2): requests after a bad one are never
	// answered, since we no longer know where they start.
	{name: "pipeline-after-bad-host", raw: "GET /small.txt HTTP/1.1\r\n\r\nGET /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "the second request is not answered"},
	{name: "pipeline-after-smuggle", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /secret.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "the classic smuggled second request"},
	{name: "pipeline-after-bad-chunk", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\n\r\nzz\r\n\r\nGET /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 close", note: "nothing after broken framing"},
	{name: "pipeline-after-404", raw: "GET /nope HTTP/1.1\r\n" + hostLine + "\r\nGET /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 200 keep", note: "a 404 is an answer, not an error of framing: go on"},
	{name: "pipeline-after-traversal", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "\r\nGET /%2e%2e/secret.txt HTTP/1.1\r\n" + hostLine + "\r\nGET /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 400 200 keep", note: "a refused path, well framed: the next request is answered"},
	{name: "pipeline-body-then-garbage", raw: "POST /hello/x HTTP/1.1\r\n" + hostLine + "Content-Length: 3\r\n\r\nabcdefGET /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 501 keep", note: "the body ends where its length says: \"defGET\" is the next method, unknown"},
	{name: "pipeline-then-close", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "Connection: close\r\n\r\nGET /small.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 close", note: "RFC 9112 §9.6: nothing after the request that said close"},

	// CGI (RFC 3875): a client can set HTTP_* variables, but never one of
	// the server's meta-variables, nor a variable a program obeys.
	{name: "cgi-httpoxy", raw: "GET /cgi-bin/env.sh HTTP/1.1\r\n" + hostLine + "Proxy: http://evil.example:8080\r\n\r\n", want: "200 keep", lacks: "HTTP_PROXY", note: "httpoxy, CVE-2016-5385: HTTP_PROXY is read by programs as their proxy"},
	{name: "cgi-underscore-name", raw: "GET /cgi-bin/env.sh HTTP/1.1\r\n" + hostLine + "X_Forwarded_For: 6.6.6.6\r\n\r\n", want: "200 keep", lacks: "6.6.6.6", note: "RFC 3875 §4.1.18: \"_\" and \"-\" both become \"_\": no passing off one header as another"},
	{name: "cgi-path-header", raw: "GET /cgi-bin/env.sh HTTP/1.1\r\n" + hostLine + "Path: /tmp/evil\r\n\r\n", want: "200 keep", has: "\nPATH=/usr/local/bin:/usr/bin:/bin\n", lacks: "\nPATH=/tmp/evil", note: "a header named Path becomes HTTP_PATH, never PATH"},
	{name: "cgi-meta-variable-header", raw: "GET /cgi-bin/env.sh HTTP/1.1\r\n" + hostLine + "Script-Name: /evil\r\nRemote-Addr: 6.6.6.6\r\n\r\n", want: "200 keep", has: "\nSCRIPT_NAME=/cgi-bin/env.sh\n", lacks: "\nREMOTE_ADDR=6.6.6.6", note: "RFC 3875 §4.1: meta-variables come from the server only"},
	{name: "cgi-query-newline", raw: "GET /cgi-bin/env.sh?a=%0aREMOTE_ADDR=6.6.6.6 HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 keep", has: "\nQUERY_STRING=a=%0aREMOTE_ADDR=6.6.6.6\n", note: "RFC 3875 §4.1.7: QUERY_STRING stays encoded"},
	{name: "cgi-path-info-crlf", raw: "GET /cgi-bin/env.sh/%0d%0aStatus:%20302%0d%0aLocation:%20http://evil.example/ HTTP/1.1\r\n" + hostLine + "\r\n", want: "400 keep", lacks: "evil.example", note: "RFC 3875 §4.1.5: PATH_INFO is decoded, so a CR or LF in it is refused"},
	{name: "cgi-content-length-header", raw: "POST /cgi-bin/env.sh HTTP/1.1\r\n" + hostLine + "Content-Length: 3\r\nContent_Length: 999\r\n\r\nabc", want: "200 keep", has: "\nCONTENT_LENGTH=3\n", lacks: "=999\n", note: "RFC 3875 §4.1.2: CONTENT_LENGTH is the body's real length"},
	{name: "cgi-source-case", raw: "GET /CGI-BIN/env.sh HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", lacks: "#!/bin/sh", note: "a script's source is never sent, whatever the spelling"},
	{name: "cgi-source-encoded", raw: "GET /%63gi-bin/env.sh HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 keep", lacks: "#!/bin/sh", note: "run, not sent: decided on the decoded name"},
	{name: "cgi-source-trailing-dot", raw: "GET /cgi-bin/env.sh. HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", lacks: "#!/bin/sh", note: "CVE-2019-0232-style spellings: no such file here"},

	// Ranges: one file, any number of ranges, one answer.
	{name: "range-many", raw: "GET /big.bin HTTP/1.1\r\n" + hostLine + "Range: bytes=0-," + strings.Repeat("5-0,", 1300) + "5-1\r\n\r\n", want: "200 keep", note: "CVE-2011-3192 (Apache Killer): many ranges get the whole file once (RFC 9110 §14.2)"},
	{name: "range-overflow", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "Range: bytes=18446744073709551617-\r\n\r\n", want: "416 keep", note: "RFC 9110 §15.5.17: past the end, however far"},

	// Port scanners and other protocols.
	{name: "scanner-silent", raw: "", want: "close", note: "connect and say nothing: closed at the idle timeout, no answer"},
	{name: "scanner-tls", raw: tlsHello, want: "400 close", note: "a TLS ClientHello: no line end, but 0x16 is no tchar (RFC 9110 §9.1): 400 at its first byte, not 408 at the head deadline"},
	{name: "scanner-ssh", raw: "SSH-2.0-OpenSSH_9.6\r\n", want: "400 close", note: "an SSH banner: a whole line that is not a request line (RFC 9112 §3): 400 at its end, not 408 at the head deadline"},
	{name: "scanner-rtsp", raw: "OPTIONS / RTSP/1.0\r\nCSeq: 1\r\n\r\n", want: "400 close", note: "nmap's RTSP probe: not an HTTP version"},
	{name: "scanner-binary", raw: "\x00\x00\x00\xa4\xff\x53\x4d\x42\x72\x00\x00\x00\x00\r\n\r\n", want: "400 close", note: "an SMB probe"},
}

// TestHostile sends every hostileCase on a new connection and checks the
// outcome exactly; after each, a new connection must still get a normal
// 200, and no response may ever hold a byte of secret.txt.
func TestHostile(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode string) { testHostile(t, mode, hostileCases) })
}

func testHostile(t *testing.T, mode string, cases []hostileCase) {
	ts := startTestServer(t, testServerOptions{mode: mode, headTimeout: time.Second, bodyTimeout: time.Second, idleTimeout: time.Second})
	before := ts.idle(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ts.hostile(tc)
			if got.Len() > 0 && bytes.Contains(got.Bytes(), []byte(ts.secret)) {
				t.Fatalf("%q: a response holds the secret from outside the root!\n%s", tc.raw, got.Bytes())
			}
			if err != nil {
				t.Errorf("sent %.200q\nreceived %.600q\n%v\n(%s)", tc.raw, got.Bytes(), err, tc.note)
			}
			ts.checkAlive(t)
		})
	}
	after := checkNoLeaks(t, before)
	t.Logf("hostile: %d cases; before %v; after %v", len(cases), before, after)
}

// hostile sends one case and checks the outcome; got is every byte that
// came back.
func (ts *testServer) hostile(tc hostileCase) (got *bytes.Buffer, err error) {
	got = new(bytes.Buffer)
	conn, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		return got, err
	}
	defer conn.Close()
	// A receive buffer of 64 KiB, not the megabytes that Linux lets one
	// grow to: a big answer then waits in the server's socket, where it
	// sees that the client still reads, and not in ours, where it cannot.
	conn.(*net.TCPConn).SetReadBuffer(64 << 10)
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, tc.raw); err != nil {
		return got, err
	}
	br := bufio.NewReader(io.TeeReader(conn, got))
	method, _, _ := strings.Cut(tc.raw, " ")
	want := strings.Fields(tc.want)
	keep := want[len(want)-1] == "keep"
	var last *clientResponse
	for _, status := range want[:len(want)-1] {
		resp, err := readResponse(br, method)
		if err != nil {
			return got, fmt.Errorf("want %s, got: %v", tc.want, err)
		}
		if strconv.Itoa(resp.status) != status {
			return got, fmt.Errorf("want %s, got a %d", tc.want, resp.status)
		}
		last = resp
	}
	if last != nil && tc.has != "" && !strings.Contains("\n"+string(last.body), tc.has) {
		return got, fmt.Errorf("the body does not hold %q", tc.has)
	}
	if tc.lacks != "" && strings.Contains("\n"+got.String(), tc.lacks) {
		return got, fmt.Errorf("a response holds %q", tc.lacks)
	}
	if !keep {
		// The server must say so, then close: the next read ends.
		if last != nil && !last.close {
			return got, errors.New(`the last response has no "Connection: close"`)
		}
		if extra, err := br.Peek(1); err != io.EOF {
			return got, fmt.Errorf("want the connection closed after %s, got %q, %v", tc.want, extra, err)
		}
		return got, nil
	}
	// Still open, and in step: a normal request on the same connection.
	fmt.Fprintf(conn, "GET /small.txt HTTP/1.1\r\n%s\r\n", hostLine)
	resp, err := readResponse(br, "GET")
	if err != nil || resp.status != 200 || string(resp.body) != smallText {
		return got, fmt.Errorf("want %s, then a 200 on the same connection; got %v, %v", tc.want, resp, err)
	}
	return got, nil
}
