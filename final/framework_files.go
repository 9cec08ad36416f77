package main

import (
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
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

	listings listingCache // what changes as it serves: pages made,
	gzips    gzipCache    // and compressed copies kept
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
	d.sendContent(w, req, name, info)
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
		d.sendListing(w, req, name)
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
// os.Root's Stat says of it, and status 0; or the status that refuses
// it: 404 for a name that leads nowhere, 403 for one that leads into the
// CGI folder by another name than its own. What counts is the file the
// name resolves to, not how it is spelled: with a symlink "scripts ->
// cgi-bin", "scripts/env.sh" is cgi-bin/env.sh, and sending it would send
// a program's source, passwords and all.
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

// representation is what a request for a file gets (RFC 9110 §3.2): the
// file as it is, or compressed, by us or ahead of time. Each has its own
// entity tag: a cache that holds one must not be told that it holds the
// other.
type representation struct {
	validators
	contentType string
	ranges      bool   // a file: it can be asked for in parts, unless compressed
	negotiated  bool   // chosen by Accept-Encoding: a cache must know (Vary)
	gzip        bool   // compressed: Content-Encoding: gzip
	gzName      string // the name of a copy compressed ahead of time, or ""
	gzCopy      []byte // the copy we compressed before, or nil
	compressing bool   // we compress it now, in one of gzipAtOnce turns
}

// cacheHeader lists what a cache must know of a representation: its
// validators, and Vary, for a 200 and a 304 alike.
func (rep representation) cacheHeader() []string {
	h := rep.validators.header()
	if rep.negotiated {
		// Another request for this URL may get another answer: a cache
		// (the browser's own, a proxy) must look at Accept-Encoding before
		// it hands this one out (§12.5.5), or a client that cannot read
		// gzip gets gzip.
		h = append(h, "Vary: Accept-Encoding")
	}
	return h
}

// header lists the headers of a representation, but for its type and
// length.
func (rep representation) header() []string {
	h := rep.cacheHeader()
	if rep.gzip {
		h = append(h, "Content-Encoding: gzip")
	} else if rep.ranges {
		// A file, as it is, can be asked for in parts. Not a compressed
		// answer: see represent.
		h = append(h, "Accept-Ranges: bytes")
	}
	return h
}

// sendContent answers with a file: the representation chosen for this
// client (represent), or 304 or 412 when the request's preconditions say
// so, or the parts of it that a Range asks for.
func (d *docRoot) sendContent(w *response, req *request, name string, info fs.FileInfo) {
	rep, status := d.represent(req, name, info)
	if rep.compressing {
		defer d.gzips.done()
	}
	if status != 0 {
		refuse(w, status)
		return
	}
	// The Stat is all the preconditions need: a 304 or a 412 is answered
	// before the file is even opened.
	if status := preconditions(req, rep.validators); status != 0 {
		answerPrecondition(w, status, rep.cacheHeader())
		return
	}
	switch {
	case rep.gzName != "":
		d.sendStored(w, req, rep.gzName, rep)
	case rep.gzip:
		d.sendGzip(w, name, rep)
	default:
		d.sendStored(w, req, name, rep)
	}
}

// refuse answers with the status represent (or gzipPage) refused a
// request with: 406, or 503 when every turn to compress is taken, and in
// a second one may be free.
func refuse(w *response, status int) {
	if status == 503 {
		sendError(w, 503, "Retry-After: 1")
		return
	}
	sendError(w, status)
}

// represent chooses the representation of a file for a request.
//
// A compressed answer is always the whole file: a Range from a client
// that takes gzip is ignored (§14.2 allows it), and one from a client
// that does not is answered from the file as it is. Which bytes does a
// range count, the file's or the gzip's? A client cannot say, and one
// that began a download compressed and resumes it might glue bytes of
// the file to bytes of the gzip. So every range is of the file, and a
// client that takes gzip gets the whole file compressed, 200, and starts
// again. Browsers ask for parts of a video with "Accept-Encoding:
// identity", Go's client leaves gzip out when it asks for a range, and
// nginx answers the same way.
//
// It returns 0, or the status that refuses the request: 406 when the
// client takes neither gzip nor the file as it is; 503 when it takes gzip
// only, and every turn to compress is taken (gzipAtOnce).
func (d *docRoot) represent(req *request, name string, info fs.FileInfo) (representation, int) {
	rep := representation{validators: fileValidators(info), contentType: contentType(name), ranges: true}
	if !compressible(rep.contentType) || info.Size() < gzipMinSize {
		// One representation: nothing to negotiate (§12.1 lets a server
		// leave Accept-Encoding unread then).
		return rep, 0
	}
	rep.negotiated = true
	useGzip, identityOK := negotiate(req)
	switch {
	case !useGzip && !identityOK:
		return rep, 406
	case !useGzip:
		return rep, 0
	}
	// A copy compressed ahead of time beside the file (nginx's
	// gzip_static): name.gz, made once with gzip -9, say, is sent as it
	// is, unless it is older than the file, and so of an older content.
	// It must be a file, not a symlink: a link could lead into cgi-bin.
	// Its tag is its own, and strong: its bytes are on disk.
	if gz, err := d.root.Lstat(name + ".gz"); err == nil && gz.Mode().IsRegular() && !gz.ModTime().Before(info.ModTime()) {
		rep.gzip, rep.gzName = true, name+".gz"
		rep.etag = storedTag(gz, true)
		return rep, 0
	}
	copied, compressing, busy := d.gzips.plan(name, rep.etag)
	switch {
	case busy && identityOK:
		return rep, 0 // the file as it is
	case busy:
		return rep, 503
	}
	rep.gzip, rep.gzCopy, rep.compressing = true, copied, compressing
	rep.etag = gzipTag(rep.etag)
	return rep, 0
}

// openFile opens a file of the root to send it, and Stats what it opened.
func (d *docRoot) openFile(name string) (*os.File, fs.FileInfo, error) {
	// O_NONBLOCK: should the name have become a named pipe (a FIFO)
	// since the Stat, opening it would wait, for ever, for a program to
	// write into it; in the event loop, every connection would wait. A
	// regular file ignores the flag. (It also spares os.File setting the
	// flag itself and unsetting it: two fcntl calls each, four a request.)
	f, err := d.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	// Stat the file we opened, not the name: the name may have changed
	// hands since. Only regular files: not folders, devices or pipes.
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}

// sendStored sends a file as it is stored: the file itself, or a copy
// compressed ahead of time; whole, or the parts of the file that a Range
// asks for.
func (d *docRoot) sendStored(w *response, req *request, name string, rep representation) {
	f, info, err := d.openFile(name)
	if err != nil {
		sendError(w, 404)
		return
	}
	defer f.Close()
	// represent made the validators from a Stat of the name; the bytes are
	// those of the file opened since, which may be another one: a deploy
	// renames a new version into place. Then they go out under its own
	// validators, and the preconditions, If-Range among them, are asked
	// again of it: a part of the new file under the old tag would be glued
	// by the client to the rest of the old one.
	if tag := storedTag(info, rep.gzName != ""); tag != rep.etag {
		rep.etag = tag
		if rep.gzName == "" {
			rep.lastModified = info.ModTime()
		}
		if status := preconditions(req, rep.validators); status != 0 {
			answerPrecondition(w, status, rep.cacheHeader())
			return
		}
	}
	size := info.Size()
	header := rep.header()
	// Only GET has ranges (§14.2), and only of the file as it is. If-Range
	// says "only if the file is still the one I have the rest of".
	status, ranges := 200, []byteRange{{0, size - 1}}
	if h := req.header["range"]; req.method == "GET" && !rep.gzip && len(h) == 1 && ifRange(req, rep.validators) {
		if status, ranges = parseRanges(h[0], size); status == 200 {
			ranges = []byteRange{{0, size - 1}}
		}
	}
	switch {
	case status == 416:
		sendError(w, 416, "Content-Range: bytes */"+strconv.FormatInt(size, 10))
		return
	case len(ranges) > 1:
		sendParts(w, f, rep.contentType, size, ranges, header)
		return
	case status == 206:
		header = append(header, contentRange(ranges[0], size))
		if _, err := f.Seek(ranges[0].first, io.SeekStart); err != nil {
			sendError(w, 500)
			return
		}
	}
	n := ranges[0].length()
	if n <= smallFile && !w.noBody {
		// A small file is read into memory and sent with the head in one
		// write: one system call and one TCP packet, where writeHead and
		// sendFile would take two of each.
		body := make([]byte, n)
		if _, err := io.ReadFull(f, body); err != nil {
			sendError(w, 500)
			return
		}
		writeResponse(w, status, rep.contentType, body, header...)
		return
	}
	writeHead(w, status, rep.contentType, n, header...)
	w.sendFile(f, n)
}

// storedTag is the entity tag of a file as stored: its own, or, for a
// copy compressed ahead of time (gz), the copy's with "-gz".
func storedTag(info fs.FileInfo, gz bool) string {
	tag := fileValidators(info).etag
	if gz {
		tag = strings.TrimSuffix(tag, `"`) + `-gz"`
	}
	return tag
}

// sendGzip sends a file compressed by us: a small one from the copy kept
// in d.gzips (made now if there is none of this version), a big one
// compressed as it goes out.
func (d *docRoot) sendGzip(w *response, name string, rep representation) {
	if rep.gzCopy != nil {
		writeResponse(w, 200, rep.contentType, rep.gzCopy, rep.header()...)
		return
	}
	f, info, err := d.openFile(name)
	if err != nil {
		sendError(w, 404)
		return
	}
	defer f.Close()
	if info.Size() > gzipCacheFile {
		streamGzip(w, f, info.Size(), rep)
		return
	}
	// Compressing 256 KiB takes milliseconds: in an event loop, not on
	// the loop, where every other connection would wait for it.
	w.conn.blocking()
	content := make([]byte, info.Size())
	if _, err := io.ReadFull(f, content); err != nil {
		sendError(w, 500)
		return
	}
	// Kept, and sent, under the version of what was read: the file may
	// have changed since the Stat that chose the representation.
	gz := gzipBytes(content)
	rep.validators = fileValidators(info)
	d.gzips.put(name, rep.etag, gz)
	rep.etag = gzipTag(rep.etag)
	writeResponse(w, 200, rep.contentType, gz, rep.header()...)
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
