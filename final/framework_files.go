package main

import (
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// contentTypes maps a file extension to the media type that tells a client
// what the bytes are (RFC 9110 §8.3): an image sent as text/html shows as
// garbage. Text types say their charset, or browsers guess it.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".htm":   "text/html; charset=utf-8",
	".txt":   "text/plain; charset=utf-8",
	".md":    "text/markdown; charset=utf-8",
	".csv":   "text/csv; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".json":  "application/json",
	".xml":   "application/xml",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".jpeg":  "image/jpeg",
	".gif":   "image/gif",
	".webp":  "image/webp",
	".svg":   "image/svg+xml",
	".ico":   "image/vnd.microsoft.icon",
	".pdf":   "application/pdf",
	".zip":   "application/zip",
	".wasm":  "application/wasm",
	".woff2": "font/woff2",
	".mp3":   "audio/mpeg",
	".mp4":   "video/mp4",
}

// smallFile is the size up to which a file is sent from memory, with the
// head, rather than by sendfile(2) after it.
const smallFile = 16 << 10

// docRoot serves a folder, the document root: its files, a page listing
// each of its folders, and the programs in its cgi-bin folder.
type docRoot struct {
	root     *os.Root   // os.Root opens files only inside the folder
	pages    pages      // for the listings
	cgi      *cgiRunner // nil: CGI is off (-cgi=false)
	dotfiles bool       // serve and list names that start with "." (-dotfiles)

	listings listingCache // the one thing that changes as it serves
}

// serveHTTP answers a request for a path of the document root.
func (d *docRoot) serveHTTP(w *response, req *request) {
	name, slash, ok := fileName(req.path)
	if !ok {
		sendError(w, 400)
		return
	}
	// ".env", ".git/config", ".htpasswd": a name that starts with a dot is
	// hidden by custom, and holds what no visitor should read (secrets, a
	// repository's whole history). Answer as if it were not there, as
	// nginx's autoindex and hardened configurations do, unless -dotfiles.
	if !d.dotfiles && hidden(name) {
		sendError(w, 404)
		return
	}
	// Decided on the cleaned name, never on the raw target: every spelling
	// of a script's path ("//cgi-bin/x", "/cgi-bin/./x", "/%63gi-bin/x")
	// must run it, or one of them would send its source code. Other names
	// that reach the same files (a symlink to the folder) are refused by
	// serveFile.
	if isCGI(name) {
		d.cgi.serveCGI(w, req, name, slash)
		return
	}
	d.serveFile(w, req, name, slash)
}

// wantsBody: of all the document root serves, only a CGI script reads a
// request's body (its stdin); a file or a listing never does. It asks what
// serveHTTP asks, in the same order.
func (d *docRoot) wantsBody(req *request) bool {
	name, _, ok := fileName(req.path)
	return ok && (d.dotfiles || !hidden(name)) && d.cgi != nil && isCGI(name)
}

// fileName turns a request's path into a name under the document root,
// such as "images/gopher.png", or reports false for a path we refuse.
// slash says whether the path ends in a "/", which names a folder.
func fileName(p string) (name string, slash, ok bool) {
	// Browsers send "my file.txt" as "my%20file.txt". Decode exactly once:
	// decoding twice turns "%252e" into "%2e" into ".", a classic way past
	// a check made between the two.
	p, err := url.PathUnescape(p)
	if err != nil {
		return "", false, false
	}
	// Then refuse what no honest browser sends: a ".." segment, which climbs
	// out of a folder (also when it came as %2e%2e, or with %2f for "/");
	// a backslash, a separator on Windows; a NUL byte, which ends a string
	// for the OS underneath, so the OS would open a different name.
	if strings.ContainsAny(p, "\\\x00") || slices.Contains(strings.Split(p, "/"), "..") {
		return "", false, false
	}
	// A final "." segment keeps the slash before it: RFC 3986 §5.2.4
	// (remove_dot_segments) makes "/a/." into "/a/", not "/a". So
	// "/small.txt/." is "/small.txt/", and both get the same answer.
	slash = strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.")
	// "/a//b/./c" names the same file as "a/b/c"; "/" is the root itself.
	name = strings.TrimPrefix(path.Clean(p), "/")
	if name == "" {
		name = "."
	}
	return name, slash, true
}

// hidden reports whether a cleaned name has a part that starts with a
// dot. "/.well-known/" is not hidden: RFC 8615 reserves it for what a site
// publishes to the world (security.txt, the ACME challenges that prove a
// site's name to a certificate authority).
func hidden(name string) bool {
	for i, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") && part != "." && (i > 0 || part != ".well-known") {
			return true
		}
	}
	return false
}

// serveFile answers with the file, or the folder, that name names; slash
// says whether the path ended in "/".
func (d *docRoot) serveFile(w *response, req *request, name string, slash bool) {
	if req.method != "GET" && req.method != "HEAD" {
		sendError(w, 405, "Allow: GET, HEAD")
		return
	}
	info, status := d.notScripts(name)
	if status != 0 {
		sendError(w, status)
		return
	}
	// "/sample.txt/" names a folder that is not there: fileName's Clean
	// dropped the slash, but a file served at that URL would be one file
	// at two URLs, and its relative links would resolve wrongly.
	if !info.IsDir() && slash {
		sendError(w, 404)
		return
	}
	if info.IsDir() {
		var answered bool
		if name, info, answered = d.serveFolder(w, req, name); answered {
			return
		}
	}
	// Only regular files: not devices, sockets or named pipes.
	if !info.Mode().IsRegular() {
		sendError(w, 404)
		return
	}
	// The client has this version already: 304, no body (RFC 9110
	// §13.1.3). The Stat above is all a 304 needs, so it is answered
	// before the file is even opened.
	if notModified(req, info.ModTime()) {
		writeHead(w, 304, "", -1, "Last-Modified: "+info.ModTime().UTC().Format(timeFormat))
		return
	}
	d.sendContent(w, req, name)
}

// serveFolder answers for a folder: a redirect to its URL with a "/", or a
// listing; or it returns its index.html, for serveFile to send, and
// answered false.
func (d *docRoot) serveFolder(w *response, req *request, name string) (string, fs.FileInfo, bool) {
	// A folder's URL ends in "/", or the relative links in its page
	// ("photo.jpg") would resolve against the parent: send the client to
	// the right URL (RFC 9110 §15.4.2). It is built from the cleaned
	// name, so it always starts with exactly one "/": "//evil.example/"
	// would send the browser to another site (an open redirect,
	// CVE-2021-28861). The test is on the path as sent, not decoded, as
	// the browser resolves links against it: "/notes%2f" and "/notes/."
	// are sent to "/notes/" too, the folder's one URL.
	if !strings.HasSuffix(req.path, "/") {
		location := (&url.URL{Path: "/" + strings.TrimPrefix(name+"/", "./")}).EscapedPath()
		if req.query != "" {
			location += "?" + req.query
		}
		sendError(w, 301, "Location: "+location)
		return "", nil, true
	}
	// A folder is served by the index.html inside it, or else by a page
	// that lists what it holds.
	index := path.Join(name, "index.html")
	info, err := d.root.Stat(index)
	if err != nil || !info.Mode().IsRegular() {
		d.sendListing(w, name)
		return "", nil, true
	}
	// index.html may be a symlink too, into cgi-bin, say.
	if _, status := d.notScripts(index); status != 0 {
		sendError(w, status)
		return "", nil, true
	}
	return index, info, false
}

// notScripts returns, for a name whose file or folder may be sent, what
// os.Root's Stat says of it, and status 0; or the status that refuses it: 404 for a name that leads nowhere, 403 for
// one that leads into the CGI folder by another name than its own. What
// counts is the file the name resolves to, not how it is spelled: with a
// symlink "scripts -> cgi-bin", "scripts/env.sh" is cgi-bin/env.sh, and
// sending it would send a program's source, passwords and all.
//
// Why not run it, under that name? Then each symlink into cgi-bin would
// be another URL for every script, and a link made for another reason (an
// upload folder, a "current" link to a release) would quietly make
// programs runnable where nobody meant them to be. A script runs under one
// name, /cgi-bin/...; any other name that reaches it is refused: 403, as
// /cgi-bin/ itself is, for the file is there and is not for sending.
func (d *docRoot) notScripts(name string) (fs.FileInfo, int) {
	resolved, top, info, ok := realName(d.root, name)
	if !ok {
		return nil, 404
	}
	// realName looked at every part of the name, the last one too: what
	// it found there is what Stat would say, but for the root itself, or
	// a name that ends in "..". (os.Root.Stat follows symlinks, but only
	// inside the root: a link that leads out of it is an error, as if
	// nothing were there.)
	if info == nil {
		var err error
		if info, err = d.root.Stat(name); err != nil {
			return nil, 404
		}
	}
	// Its first folder, compared with cgi-bin as a file, not as a name: on
	// a file system that ignores case (macOS, Windows), "CGI-BIN" is
	// cgi-bin, and Windows has a short name for it too ("CGI-BI~1").
	// SameFile compares device and inode numbers.
	if top == nil || !top.IsDir() {
		return info, 0 // the root itself, or a file in it: not in any folder
	}
	if first, _, _ := strings.Cut(resolved, "/"); first == cgiDir {
		return nil, 403
	}
	if folder, err := d.root.Stat(cgiDir); err == nil && os.SameFile(top, folder) {
		return nil, 403
	}
	return info, 0
}

// realName follows the symlinks on a name's path, as the system does when
// it opens the name, and returns the name it comes to, with no symlink on
// its way, what the first part of that is (nil for the root itself) and
// what the last is (nil when unknown: the root, or after a ".."); or false
// if the name leads nowhere: to a missing file, out of the root, or
// through too many symlinks (os.Root gives up after 8).
func realName(root *os.Root, name string) (resolved string, top, last fs.FileInfo, ok bool) {
	resolved, todo := ".", strings.Split(name, "/")
	for links := 0; len(todo) > 0; {
		part := todo[0]
		todo = todo[1:]
		switch {
		case part == "" || part == ".":
			continue
		case part == "..":
			// resolved has no symlink on it: ".." is its last part removed.
			if resolved == "." {
				return "", nil, nil, false // above the root
			}
			if resolved = path.Dir(resolved); resolved == "." {
				top = nil
			}
			last = nil
			continue
		}
		next := path.Join(resolved, part)
		info, err := root.Lstat(next)
		if err != nil {
			return "", nil, nil, false
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			if resolved == "." {
				top = info
			}
			resolved, last = next, info
			continue
		}
		// A symlink: what it points to takes its place on the way.
		target, err := root.Readlink(next)
		if links++; err != nil || links > 8 || filepath.IsAbs(target) {
			return "", nil, nil, false
		}
		todo = append(strings.Split(filepath.ToSlash(target), "/"), todo...)
	}
	return resolved, top, last, true
}

// sendContent opens a file and sends it, or the part of it that a Range
// asks for.
func (d *docRoot) sendContent(w *response, req *request, name string) {
	// O_NONBLOCK: should the name have become a named pipe (a FIFO)
	// since the Stat, opening it would wait, for ever, for a program to
	// write into it; in the event loop, every connection would wait. A
	// regular file ignores the flag. (It also spares os.File setting the
	// flag itself and unsetting it: two fcntl calls each, four a request.)
	f, err := d.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		sendError(w, 404)
		return
	}
	defer f.Close()
	// Stat the file we opened, not the name: the name may have changed
	// hands since. Only regular files: not folders, devices or pipes.
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		sendError(w, 404)
		return
	}
	lastModified := info.ModTime().UTC().Format(timeFormat)
	header := []string{"Last-Modified: " + lastModified, "Accept-Ranges: bytes"}

	size := info.Size()
	status, first, last := fileRange(req, size, lastModified)
	switch status {
	case 416:
		sendError(w, 416, fmt.Sprintf("Content-Range: bytes */%d", size))
		return
	case 206:
		header = append(header, fmt.Sprintf("Content-Range: bytes %d-%d/%d", first, last, size))
		if _, err := f.Seek(first, io.SeekStart); err != nil {
			sendError(w, 500)
			return
		}
	}
	n := last - first + 1
	if n <= smallFile && !w.noBody {
		// A small file is read into memory and sent with the head in one
		// write: one system call and one TCP packet, where writeHead and
		// sendFile would take two of each.
		body := make([]byte, n)
		if _, err := io.ReadFull(f, body); err != nil {
			sendError(w, 500)
			return
		}
		writeResponse(w, status, contentType(name), body, header...)
		return
	}
	writeHead(w, status, contentType(name), n, header...)
	w.sendFile(f, n)
}

// fileRange decides what part of a file of size bytes to send: 200 and
// the whole file, 206 and a part, or 416 and nothing. A Range asks for
// part of the file (RFC 9110 §14.2), to resume a download or seek in a
// video. Only GET has ranges; If-Range says "only if the file is still
// the one I have the rest of".
func fileRange(req *request, size int64, lastModified string) (status int, first, last int64) {
	if ranges := req.header["range"]; req.method == "GET" && len(ranges) == 1 {
		if ifRange := req.header["if-range"]; len(ifRange) == 0 || ifRange[0] == lastModified {
			return parseRange(ranges[0], size)
		}
	}
	return 200, 0, size - 1
}

// notModified reports whether a GET or HEAD can be answered 304 Not
// Modified: the file has not changed since the If-Modified-Since date
// (RFC 9110 §13.1.3). HTTP dates count whole seconds.
func notModified(req *request, modTime time.Time) bool {
	since := req.header["if-modified-since"]
	if len(since) != 1 {
		return false
	}
	t, ok := parseHTTPDate(since[0])
	return ok && !modTime.Truncate(time.Second).After(t)
}

// parseHTTPDate reads an HTTP date. We send only IMF-fixdate, but must
// read the two older formats too (RFC 9110 §5.6.7).
func parseHTTPDate(s string) (time.Time, bool) {
	for _, layout := range []string{timeFormat, "Monday, 02-Jan-06 15:04:05 GMT", "Mon Jan _2 15:04:05 2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseRange reads a Range header, "bytes=0-99", "bytes=100-" or
// "bytes=-100" (the last 100 bytes), for a file of size bytes (RFC 9110
// §14.1.2). It returns 206 and the first and last byte to send, 416 when
// no byte of the file is in the range, or 200 to send the whole file: a
// server may ignore a Range it does not understand, or one that asks for
// several ranges (§14.2), which would need a multipart body.
func parseRange(h string, size int64) (status int, first, last int64) {
	whole := func() (int, int64, int64) { return 200, 0, size - 1 }
	unit, set, ok := strings.Cut(h, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return whole()
	}
	ranges := headerList([]string{set})
	if len(ranges) != 1 {
		return whole()
	}
	from, to, ok := strings.Cut(ranges[0], "-")
	if !ok {
		return whole()
	}
	if from == "" {
		n, ok := rangeNumber(to)
		switch {
		case !ok:
			return whole()
		case n == 0 || size == 0:
			return 416, 0, 0
		}
		return 206, max(0, size-n), size - 1
	}
	first, ok = rangeNumber(from)
	if !ok {
		return whole()
	}
	last = size - 1
	if to != "" {
		n, ok := rangeNumber(to)
		if !ok || n < first {
			return whole()
		}
		last = min(n, size-1)
	}
	if first >= size {
		return 416, 0, 0
	}
	return 206, first, last
}

// rangeNumber reads a byte position: digits only. A number too large for
// an int64 is larger than any file, and counts as the largest int64.
func rangeNumber(s string) (int64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		n = math.MaxInt64
	}
	return n, true
}

// contentType looks a file's extension up in contentTypes. It ignores case,
// as "PHOTO.JPG" is a JPEG too. An unknown type goes out as plain bytes,
// application/octet-stream, which a browser saves rather than shows.
func contentType(name string) string {
	if t, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
}
