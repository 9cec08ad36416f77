//go:build unix

package main

// Hostile input, round two, for the files: names that reach a CGI
// script's source by another name than its own, hidden files, and the
// spellings of a path that end in a slash. The cases run as
// hostile_test.go's do, each on a new connection, in every serving mode.

import (
	"strings"
	"testing"
	"time"
)

var fileHostileCases = []hostileCase{
	// Whether a file is a script is decided on the file a name resolves
	// to, not on its first segment: the test site has scripts -> cgi-bin,
	// env-link.sh -> cgi-bin/env.sh, tools -> cgi-bin/tools, chain ->
	// scripts, via-notes -> notes/../cgi-bin and page/index.html ->
	// ../cgi-bin/env.sh. Each is refused, 403, never sent, never run.
	{name: "cgi-symlink-folder", raw: "GET /scripts/env.sh HTTP/1.1\r\n" + hostLine + "\r\n", want: "403 keep", lacks: "#!/bin/sh", note: "a script's source through a symlink to cgi-bin: decided on the folder it resolves to"},
	{name: "cgi-symlink-folder-listing", raw: "GET /scripts/ HTTP/1.1\r\n" + hostLine + "\r\n", want: "403 keep", lacks: "hello.sh", note: "no listing of the programs under another name, as /cgi-bin/ has none"},
	{name: "cgi-symlink-folder-no-slash", raw: "GET /scripts HTTP/1.1\r\n" + hostLine + "\r\n", want: "403 keep", note: "refused before the redirect to /scripts/"},
	{name: "cgi-symlink-file", raw: "GET /env-link.sh HTTP/1.1\r\n" + hostLine + "\r\n", want: "403 keep", lacks: "#!/bin/sh", note: "a symlink to one script"},
	{name: "cgi-symlink-subfolder", raw: "GET /tools/tool.sh HTTP/1.1\r\n" + hostLine + "\r\n", want: "403 keep", lacks: "#!/bin/sh", note: "a symlink to a folder inside cgi-bin"},
	{name: "cgi-symlink-chain", raw: "GET /chain/env.sh HTTP/1.1\r\n" + hostLine + "\r\n", want: "403 keep", lacks: "#!/bin/sh", note: "a symlink to a symlink to cgi-bin"},
	{name: "cgi-symlink-dotdot-target", raw: "GET /via-notes/env.sh HTTP/1.1\r\n" + hostLine + "\r\n", want: "403 keep", lacks: "#!/bin/sh", note: "a symlink whose target climbs with \"..\""},
	{name: "cgi-symlink-index", raw: "GET /page/ HTTP/1.1\r\n" + hostLine + "\r\n", want: "403 keep", lacks: "#!/bin/sh", note: "a folder's index.html that is a script"},
	{name: "cgi-symlink-encoded", raw: "GET /%73cripts/env%2esh HTTP/1.1\r\n" + hostLine + "\r\n", want: "403 keep", lacks: "#!/bin/sh", note: "the same, percent-encoded: decided after decoding"},
	{name: "cgi-own-name-runs", raw: "GET /cgi-bin/tools/tool.sh?x HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 keep", has: "hello from cgi, query=x", note: "under its own name, a script in a folder of cgi-bin runs"},

	// Hidden files: 404 for any path with a segment that starts with a
	// dot, as nginx's hardened configurations do (location ~ /\.); but
	// /.well-known/, RFC 8615.
	{name: "dotfile", raw: "GET /.env HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", lacks: "SECRET_ENV", note: "a .env file holds a site's passwords"},
	{name: "dotfile-encoded", raw: "GET /%2eenv HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", lacks: "SECRET_ENV", note: "%2e is \".\": decided after decoding"},
	{name: "dotfile-folder", raw: "GET /.git/config HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", lacks: "[core]", note: "a repository's history, passwords in its config"},
	{name: "dotfile-folder-listing", raw: "GET /.git/ HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", lacks: "config", note: "no listing of a hidden folder"},
	{name: "dotfile-deep", raw: "GET /notes/.hidden.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "a hidden file in any folder"},
	{name: "dotfile-listing", raw: "GET /notes/ HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 keep", has: "a.txt", lacks: ".hidden", note: "a listing leaves hidden names out"},
	{name: "dotfile-cgi", raw: "GET /cgi-bin/.env HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "in cgi-bin too: nothing hidden is run"},
	{name: "dotfile-well-known", raw: "GET /.well-known/security.txt HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 keep", has: "Contact:", note: "RFC 8615: /.well-known/ is published on purpose"},

	// A path that ends in "/" names a folder, and so does one that ends
	// in "/.": RFC 3986 §5.2.4 (remove_dot_segments) turns "/a/." into
	// "/a/". A file at such a path is one file at two URLs: 404, every
	// spelling alike.
	{name: "file-slash", raw: "GET /small.txt/ HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "a file is not a folder"},
	{name: "file-slash-dot", raw: "GET /small.txt/. HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "RFC 3986 §5.2.4: \"/small.txt/.\" is \"/small.txt/\""},
	{name: "file-slash-dot-encoded", raw: "GET /small.txt/%2e HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "RFC 3986 §2.3: %2e is \".\""},
	{name: "file-slash-dot-slash", raw: "GET /small.txt/./ HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "\"/small.txt/./\" is \"/small.txt/\""},
	{name: "file-slash-encoded", raw: "GET /small.txt%2f HTTP/1.1\r\n" + hostLine + "\r\n", want: "404 keep", note: "%2f decodes to \"/\", as everywhere in this server"},
	{name: "folder-slash-dot", raw: "GET /notes/. HTTP/1.1\r\n" + hostLine + "\r\n", want: "301 keep", has: "/notes/", note: "a folder's URL ends in \"/\": redirected to the one spelling"},
	{name: "script-slash", raw: "GET /cgi-bin/env.sh/ HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 keep", has: "\nPATH_INFO=/\n", note: "RFC 3875 §4.1.5: for a script, the slash is PATH_INFO"},
	{name: "script-slash-dot", raw: "GET /cgi-bin/env.sh/. HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 keep", has: "\nPATH_INFO=/\n", note: "the same, by RFC 3986 §5.2.4"},
	{name: "script-path-info-slash", raw: "GET /cgi-bin/env.sh/a/ HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 keep", has: "\nPATH_INFO=/a/\n", note: "PATH_INFO keeps its final slash"},

	// Ranges that would cost more than the file (RFC 9110 §14.2): the
	// whole file, once, instead of the file many times over.
	{name: "range-overlap", raw: "GET /small.txt HTTP/1.1\r\n" + hostLine + "Range: bytes=0-,0-,0-,0-\r\n\r\n", want: "200 keep", has: smallText, lacks: "multipart", note: "overlapping ranges adding up to more than the file: the file, once"},
	{name: "range-too-many", raw: "GET /big.bin HTTP/1.1\r\n" + hostLine + "Range: bytes=" + strings.Repeat("0-0,", 16) + "1-1\r\n\r\n", want: "200 keep", lacks: "multipart", note: "more than 16 ranges: the whole file"},
	{name: "range-sixteen", raw: "GET /big.bin HTTP/1.1\r\n" + hostLine + "Range: bytes=" + strings.Repeat("0-0,", 15) + "1-1\r\n\r\n", want: "206 keep", has: "Content-Range: bytes 1-1/3145728", note: "16 ranges, as many as a request may ask for: one part each"},
	{name: "range-huge-header", raw: "GET /big.bin HTTP/1.1\r\n" + hostLine + "Range: bytes=" + strings.Repeat("1-1,", 4000) + "2-2\r\n\r\n", want: "200 keep", lacks: "multipart", note: "thousands of ranges: counted, not answered"},
}

// TestHostileFiles sends every fileHostileCase, as TestHostile does.
func TestHostileFiles(t *testing.T) { forEachMode(t, testHostileFiles) }

func testHostileFiles(t *testing.T, mode string) {
	ts := startTestServer(t, testServerOptions{mode: mode, idleTimeout: time.Second})
	before := ts.idle(t)
	for _, tc := range fileHostileCases {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := ts.hostile(tc); err != nil {
				t.Errorf("sent %.200q\nreceived %.600q\n%v\n(%s)", tc.raw, got.Bytes(), err, tc.note)
			}
		})
	}
	checkNoLeaks(t, before)
}

// TestDotfilesAllowed: with -dotfiles, hidden names are listed and sent;
// nothing else changes, and the CGI folder's files are still refused.
func TestDotfilesAllowed(t *testing.T) { forEachMode(t, testDotfilesAllowed) }

func testDotfilesAllowed(t *testing.T, mode string) {
	ts := startTestServer(t, testServerOptions{mode: mode, dotfiles: true})
	for _, tc := range []hostileCase{
		{name: "dotfile", raw: "GET /.env HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 keep", has: "SECRET_ENV"},
		{name: "dotfile-listing", raw: "GET /notes/ HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 keep", has: ".hidden.txt"},
		{name: "dotfile-folder", raw: "GET /.git/config HTTP/1.1\r\n" + hostLine + "\r\n", want: "200 keep", has: "[core]"},
		{name: "cgi-symlink-folder", raw: "GET /scripts/env.sh HTTP/1.1\r\n" + hostLine + "\r\n", want: "403 keep", lacks: "#!/bin/sh"},
	} {
		if got, err := ts.hostile(tc); err != nil {
			t.Errorf("-dotfiles: sent %q\nreceived %.600q\n%v", tc.raw, got.Bytes(), err)
		}
	}
}
