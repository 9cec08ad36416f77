package main

import (
	"bytes"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

const (
	// maxMethod bounds the method. No method we implement has more than 7
	// letters, and none in IANA's registry more than 17: a longer one is
	// a method we don't implement, 501 (RFC 9110 §9.1), known at its 33rd
	// byte, without waiting for the rest of the line.
	maxMethod = 32
	// maxLine bounds the request line. Its method is short (maxMethod),
	// its version 8 bytes: what makes a line long is its target, and a
	// longer one is answered 414 URI Too Long (RFC 9112 §3).
	maxLine = 8 << 10
	// maxHead bounds the whole head, request line and every header: a
	// longer one is answered 431 Request Header Fields Too Large (RFC 6585
	// §5). Without a limit a client could fill our memory one header at a
	// time.
	maxHead = 32 << 10
	// maxChunkLine bounds a chunk-size line with its extensions.
	maxChunkLine = 4 << 10
	// maxFraming bounds the bytes of a chunked body's framing beyond what
	// its data allows (countFraming).
	maxFraming = 16 << 10
	// maxBody bounds a request body, which we hold in memory whole: 413
	// Content Too Large (RFC 9110 §15.5.14) beyond it.
	maxBody = 1 << 20
)

// request is what we understood of a request.
type request struct {
	line    string // the request line as it came, for the log
	method  string // "GET"
	target  string // "/index.html"
	path    string // the target up to a "?": the query is not part of it
	query   string // what follows the "?", "a=2&b=3": input for a page
	version string // "HTTP/1.1"
	// header holds each header's values by name, in lower case, because
	// names ignore case (RFC 9110 §5.1): "Content-Length: 5" is found as
	// header["content-length"] == []string{"5"}.
	header map[string][]string
	body   []byte
	// hasBody: the head announced a body (Content-Length, even 0, or
	// Transfer-Encoding), which CGI must be told about.
	hasBody bool
	// keepAlive: the client is ready for another request on this
	// connection once this one is answered (RFC 9112 §9.3).
	keepAlive bool
	// redirects counts the CGI local redirects (RFC 3875 §6.2.2) this
	// request has gone through.
	redirects int
}

// bodyStep says what the next bytes of a body are.
type bodyStep int

const (
	bodyData     bodyStep = iota // body bytes: of a Content-Length body, or of the current chunk
	chunkSize                    // a chunk-size line, "1a;ext=1\r\n"
	chunkDataEnd                 // the CRLF after a chunk's data
	chunkTrailer                 // a trailer field line, or the blank line that ends the body
)

// bodyState is where a body stands between two reads: the decoder is a
// small state machine, so that a body can arrive in any number of pieces,
// cut anywhere, even inside "\r\n".
type bodyState struct {
	step      bodyStep
	chunked   bool
	left      int64 // bytes still to come in this body or this chunk
	size      int64 // bytes of body so far, kept or not
	drop      bool  // nobody will read this body: count its bytes, keep none
	scanned   int   // bytes of a chunk line looked at so far: no line end in them
	framing   int64 // bytes of chunk framing beyond what the data allows
	trailer   int   // bytes of trailer seen so far
	continued bool  // "100 Continue" has been sent
}

// headScan is how far readHead has looked into a head that is still
// arriving. Each read adds a few bytes, perhaps one: looking at the whole
// head again each time would cost a head of n bytes n²/2 looks (a second
// of CPU for 32 KB sent a byte at a time), so the next look starts where
// the last one stopped, and each byte is looked at once.
type headScan struct {
	lineStart int // where the line now arriving starts
	scanned   int // how far we have looked: no line end from lineStart up to here
	// While the request line arrives: the part the next byte belongs to
	// (0 the method, 1 the target, 2 the version), and where it starts.
	part, partStart int
}

// nextRequest takes the next complete request, body included, off the
// front of st.buf. It returns nil while the bytes received so far don't
// make one yet, and a status with the request when they never will: the
// request must then be answered with that status and the connection closed,
// as we no longer know where the next request would start.
func (st *connState) nextRequest() (*request, int) {
	if st.req == nil {
		// A server should ignore empty lines before a request line
		// (RFC 9112 §2.2): some clients send an extra CRLF after a body.
		for bytes.HasPrefix(st.buf, []byte("\n")) || bytes.HasPrefix(st.buf, []byte("\r\n")) {
			st.buf = st.buf[bytes.IndexByte(st.buf, '\n')+1:]
			st.head = headScan{}
		}
		n, status := readHead(st.buf, &st.head)
		if status != 0 {
			return &request{line: firstLine(st.buf)}, status
		}
		if n == 0 {
			return nil, 0
		}
		st.head = headScan{}
		req, status := parseRequest(st.buf[:n])
		st.buf = st.buf[n:]
		if status == 0 {
			st.body, status = bodyFraming(&req)
		}
		if status != 0 {
			return &req, status
		}
		st.req = &req
	}
	done, status := readBody(st)
	if !done && status == 0 {
		return nil, 0
	}
	req := st.req
	st.req = nil
	return req, status
}

// readHead looks for the end of the request head at the start of buf: the
// blank line after the request line and the headers (RFC 9112 §2.1). TCP
// delivers a stream of bytes, not messages: one read may hold half a head,
// or a head and a half. readHead returns the length of the head, 0 while
// its end has not arrived yet, or an error status as soon as the head is
// too long to be worth waiting for, or its request line can't be valid.
// sc is where the last call stopped looking, for a buf that has grown
// since.
func readHead(buf []byte, sc *headScan) (int, int) {
	for {
		i := bytes.IndexByte(buf[sc.scanned:], '\n')
		if i < 0 {
			break
		}
		end := sc.scanned + i
		// Lines end in CRLF, but RFC 9112 §2.2 lets us accept a bare LF
		// too, which is what nc sends when you type a request by hand.
		line := bytes.TrimSuffix(buf[sc.lineStart:end], []byte("\r"))
		if sc.lineStart == 0 {
			// The request line is whole: if we will refuse it, say so
			// now, without waiting for the headers.
			if _, _, status := parseRequestLine(string(line)); status != 0 {
				return 0, status
			}
		}
		sc.lineStart, sc.scanned = end+1, end+1
		if sc.lineStart > maxHead {
			return 0, 431
		}
		if len(line) == 0 {
			return sc.lineStart, 0
		}
	}
	if sc.lineStart > 0 {
		sc.scanned = len(buf)
	} else if status := sc.checkLine(bytes.TrimSuffix(buf, []byte("\r"))); status != 0 {
		// A request line on its way, which can't be valid whatever
		// follows: a TLS handshake, a binary protocol, a method of 100 KB.
		// Refused at its first wrong byte, not at the head timeout. A CR
		// at the end may start the line end: it is looked at with the
		// byte after it.
		return 0, status
	}
	if len(buf) > maxHead {
		return 0, 431
	}
	return 0, 0
}

// checkLine looks at the bytes of a request line that have come since its
// last look, line[sc.scanned:], with the rules of parseRequestLine, a byte
// at a time, and returns the status to answer as soon as a byte shows that
// the line can't be valid: a byte that is not a tchar in the method (RFC
// 9110 §9.1), one that can't be in a target (RFC 9112 §3.2), a version
// that is not "HTTP/", a digit, a dot and a digit (§2.3). Each part has
// its own limit and status: a method longer than maxMethod is one we
// don't implement, 501; the target takes what the line has left, 414
// past it; the version has its 8 bytes, 400 past them.
func (sc *headScan) checkLine(line []byte) int {
	for ; sc.scanned < len(line); sc.scanned++ {
		c, n := line[sc.scanned], sc.scanned-sc.partStart // c is byte n of its part
		switch {
		case c == ' ' && sc.part < 2 && n > 0:
			sc.part, sc.partStart = sc.part+1, sc.scanned+1
		case sc.part == 0 && !isTchar(c), sc.part == 1 && !isTargetByte(c), sc.part == 2 && !isVersionByte(n, c):
			return 400
		case sc.part == 0 && n == maxMethod:
			return 501
		case sc.part == 1 && sc.scanned == maxLine:
			return 414
		}
	}
	return 0
}

// firstLine is the start of buf up to its first line end, for the log of a
// request that could not be read.
func firstLine(buf []byte) string {
	line, _, _ := bytes.Cut(buf, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) > 200 {
		return string(line[:200]) + "..."
	}
	return string(line)
}

// parseRequest reads the head: the request line, then the header lines.
// It returns 0, or the error status to answer. Anything unusual is a bad
// request, not something to guess at: two servers that guess differently
// about one request are how request smuggling attacks work.
func parseRequest(head []byte) (request, int) {
	lines := strings.Split(string(head), "\n")
	req, authority, status := parseRequestLine(strings.TrimSuffix(lines[0], "\r"))
	if status != 0 {
		return req, status
	}
	req.header = map[string][]string{}

	// Each header line is "Name: value" (RFC 9112 §5), with optional
	// spaces around the value. A line without a colon, or a space before
	// it ("Host : x"), must be refused (§5.1). So must a line that starts
	// with a space: that is obs-fold, the old way to continue the line
	// above, which §5.2 lets a server refuse, and we do.
	for _, h := range lines[1:] {
		h = strings.TrimSuffix(h, "\r")
		if h == "" {
			continue // the blank line that ends the head
		}
		name, value, ok := parseField(h)
		if !ok {
			return req, 400
		}
		name = strings.ToLower(name)
		req.header[name] = append(req.header[name], value)
	}

	// HTTP/1.1 requires exactly one valid Host (RFC 9112 §3.2): it names
	// the site, when one server serves several. More than one is refused
	// in any version, since two parties could each read a different one.
	hosts := req.header["host"]
	if len(hosts) > 1 || len(hosts) == 1 && !isHost(hosts[0]) || len(hosts) == 0 && req.version == "HTTP/1.1" {
		return req, 400
	}
	// With a target in absolute form, the host it names is the one that
	// counts, whatever Host says (RFC 9112 §3.2.2).
	if authority != "" {
		req.header["host"] = []string{authority}
	}
	// We can only meet "Expect: 100-continue" (RFC 9110 §10.1.1).
	if e := req.header["expect"]; len(e) > 1 || len(e) == 1 && !strings.EqualFold(e[0], "100-continue") {
		return req, 417
	}

	// HTTP/1.1 keeps the connection open unless told "close"; HTTP/1.0
	// closes it unless told "keep-alive" (RFC 9112 §9.3).
	options := headerList(req.header["connection"])
	if req.version == "HTTP/1.1" {
		req.keepAlive = !slices.Contains(options, "close")
	} else {
		req.keepAlive = slices.Contains(options, "keep-alive") && !slices.Contains(options, "close")
	}
	return req, 0
}

// parseRequestLine reads the request line, "GET /index.html HTTP/1.1": a
// method, a target and a version, one space between each (RFC 9112 §3).
// It returns the request so far, the host a target in absolute form names
// ("" for one in origin form), and 0 or the error status to answer.
func parseRequestLine(line string) (req request, authority string, status int) {
	req = request{line: line}
	// The rules a byte at a time first, in the order of the bytes, as
	// readHead applies them while the line arrives: the same line gets
	// the same answer however it was cut.
	var sc headScan
	if status := sc.checkLine([]byte(line)); status != 0 {
		return req, "", status
	}
	// Three parts: checkLine has refused a third space, or an empty part.
	method, rest, ok1 := strings.Cut(line, " ")
	target, version, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return req, "", 400
	}
	req.method, req.target, req.version = method, target, version
	var absolute bool
	req.target, authority, absolute = originForm(req.target)
	// The query string ("?a=1") is input for a program, not part of the
	// path: cut it off once, here, for every function after us.
	req.path, req.query, _ = strings.Cut(req.target, "?")
	// "OPTIONS * HTTP/1.1" asks about the server as a whole, not a path:
	// the asterisk-form, for OPTIONS only (RFC 9112 §3.2.4).
	asterisk := req.method == "OPTIONS" && req.target == "*"
	if !isToken(req.method) || !isTarget(req.target) && !asterisk || !isVersion(req.version) {
		return req, "", 400
	}
	// An http URI with an empty host, "http:///a", is invalid and must be
	// refused (RFC 9110 §4.2.1); so is one whose host is not a host.
	if absolute && (authority == "" || !isHost(authority)) {
		return req, "", 400
	}
	// HTTP/1.2 would be HTTP/1.1 with additions that a 1.1 recipient may
	// ignore: a minor version higher than ours is read as the highest we
	// speak (RFC 9110 §2.5, §6.2). Only another major version is one we
	// don't speak: 505 (§15.6.6).
	switch {
	case req.version[5] != '1':
		return req, "", 505
	case req.version[7] > '1':
		req.version = "HTTP/1.1"
	}
	return req, authority, 0
}

// originForm turns a target in absolute form, "http://host/path?q", which
// a server must accept (RFC 9112 §3.2.2), into the usual "/path?q", and
// returns the host it named, and whether it was in absolute form.
func originForm(target string) (path, authority string, absolute bool) {
	lower := strings.ToLower(target)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return target, "", false
	}
	_, rest, _ := strings.Cut(target, "://")
	i := strings.IndexAny(rest, "/?")
	switch {
	case i < 0:
		return "/", rest, true
	case rest[i] == '/':
		return rest[i:], rest[:i], true
	}
	return "/" + rest[i:], rest[:i], true
}

// headerList splits list-valued headers, "close, Upgrade", into their
// lower-cased members (RFC 9110 §5.6.1), over every line of the header.
func headerList(values []string) []string {
	var list []string
	for _, v := range values {
		for _, member := range strings.Split(v, ",") {
			if member = strings.ToLower(strings.Trim(member, " \t")); member != "" {
				list = append(list, member)
			}
		}
	}
	return list
}

// parseField splits a header field line, "Name: value", into its name and
// its value without the spaces around it. A line without a colon, a name that is not a token (a
// space before the colon: "Host : x", which §5.1 of RFC 9112 says to
// refuse), or a value with control characters is not a field: ok is false.
// The same rules hold for a request's headers, a chunked body's trailers
// and a CGI script's header block.
func parseField(line string) (name, value string, ok bool) {
	name, value, found := strings.Cut(line, ":")
	value = strings.Trim(value, " \t")
	if !found || !isToken(name) || !isFieldValue(value) {
		return "", "", false
	}
	return name, value, true
}

// isToken reports whether s is a token (RFC 9110 §5.6.2), the grammar of
// method and header names: one or more tchars.
func isToken(s string) bool {
	for _, c := range []byte(s) {
		if !isTchar(c) {
			return false
		}
	}
	return s != ""
}

// isTchar reports whether c may be in a token: visible ASCII except the
// delimiters (RFC 9110 §5.6.2).
func isTchar(c byte) bool {
	return ' ' < c && c < 0x7f && strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) < 0
}

// isTarget reports whether s is a path we can serve: it starts with "/"
// and holds only the bytes isTargetByte allows.
func isTarget(s string) bool {
	for _, c := range []byte(s) {
		if !isTargetByte(c) {
			return false
		}
	}
	return strings.HasPrefix(s, "/")
}

// isTargetByte reports whether c may be in a request target: visible
// ASCII. Anything else in a URL, spaces and non-English letters included,
// must arrive percent-encoded (RFC 3986 §2). And no "#": a fragment
// ("/a#top") is for the client, which never sends it (RFC 9112 §3.2).
func isTargetByte(c byte) bool {
	return ' ' < c && c < 0x7f && c != '#'
}

// isVersion reports whether s looks like "HTTP/1.1": the name, a slash, and
// one digit each side of a dot (RFC 9112 §2.3).
func isVersion(s string) bool {
	for i := range len(s) {
		if !isVersionByte(i, s[i]) {
			return false
		}
	}
	return len(s) == len("HTTP/1.1")
}

// isVersionByte reports whether c may be byte n of a version.
func isVersionByte(n int, c byte) bool {
	const form = "HTTP/#.#" // #: a digit
	switch {
	case n >= len(form):
		return false
	case form[n] == '#':
		return isDigit(c)
	}
	return c == form[n]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isFieldValue reports whether s may be a header's value (RFC 9110 §5.5):
// no control characters but tab. A CR or NUL inside a value is how
// headers get smuggled past a proxy that reads them differently.
func isFieldValue(s string) bool {
	for _, c := range []byte(s) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// isHost reports whether s may be a Host value (RFC 9110 §7.2): empty, for
// a target with no host (RFC 9112 §3.2), or a host and an optional ":port"
// (RFC 3986 §3.2.2, §3.2.3). Whatever passes here reaches CGI scripts, as
// SERVER_NAME and HTTP_HOST.
func isHost(s string) bool {
	if s == "" {
		return true
	}
	host := s
	if i := strings.LastIndexByte(s, ':'); i > strings.LastIndexByte(s, ']') {
		host = s[:i]
		// The port is digits, perhaps none ("a:" is "a"), and names a
		// TCP port: 65535 at most.
		if port := s[i+1:]; port != "" {
			if _, err := strconv.ParseUint(port, 10, 16); err != nil {
				return false
			}
		}
	}
	// An IPv6 address, in brackets, as the colons in it would otherwise
	// read as a port: "[::1]". net/netip checks the address for us.
	if inner, ok := strings.CutPrefix(host, "["); ok {
		inner, ok = strings.CutSuffix(inner, "]")
		addr, err := netip.ParseAddr(inner)
		return ok && err == nil && addr.Is6() && addr.Zone() == ""
	}
	// A name, or an IPv4 address: letters, digits, "-._~", the
	// sub-delims "!$&'()*+,;=", and %-escapes (reg-name). Not empty:
	// an http URI always has a host (RFC 9110 §4.2.1).
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c == '%' && i+2 < len(host) && isHex(host[i+1]) && isHex(host[i+2]):
			i += 2
		case !isAlnum(c) && strings.IndexByte("-._~!$&'()*+,;=", c) < 0:
			return false
		}
	}
	return host != ""
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) }

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// bodyFraming decides, from the head, where the body will end (RFC 9112
// §6.3). This is the one place where a mistake lets an attacker hide a
// second request inside the first one's body (request smuggling), so any
// doubt is a 400, and the connection closes.
func bodyFraming(req *request) (bodyState, int) {
	codings := headerList(req.header["transfer-encoding"])
	lengths := req.header["content-length"]
	req.hasBody = len(codings) > 0 || len(lengths) > 0
	if len(req.header["transfer-encoding"]) > 0 {
		// Both framings at once, or a Transfer-Encoding in HTTP/1.0,
		// which did not have it: faulty framing (§6.1, §6.3).
		if len(lengths) > 0 || req.version == "HTTP/1.0" || len(codings) == 0 {
			return bodyState{}, 400
		}
		// Only chunked says where the body ends, so it must come last,
		// and only once: chunked twice is forbidden (§7).
		if codings[len(codings)-1] != "chunked" || slices.Index(codings, "chunked") != len(codings)-1 {
			return bodyState{}, 400
		}
		// gzip and the like before chunked: we can't decode them (§6.1).
		if len(codings) > 1 {
			return bodyState{}, 501
		}
		return bodyState{step: chunkSize, chunked: true}, 0
	}
	if len(lengths) == 0 {
		return bodyState{}, 0 // no Content-Length, no body (§6.3)
	}
	// Only digits: ParseUint refuses "-1", "+5", " 5" and "0x10". Two
	// lengths, even equal ones ("5, 5"), are refused: which one would we
	// believe?
	n, err := strconv.ParseUint(lengths[0], 10, 63)
	if err != nil || len(lengths) > 1 {
		return bodyState{}, 400
	}
	if n > maxBody {
		return bodyState{}, 413
	}
	return bodyState{step: bodyData, left: int64(n)}, 0
}

// readBody moves the body bytes that have arrived from st.buf into
// st.req.body. It reports whether the body is complete, or the error
// status when it can't be read. A chunked body (RFC 9112 §7.1) is a series
// of chunks, each its size in hex and its bytes, then a chunk of size 0,
// optional trailer fields and a blank line:
//
//	5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n
func readBody(st *connState) (bool, int) {
	b := &st.body
	for {
		switch b.step {
		case bodyData:
			n := min(b.left, int64(len(st.buf)))
			if !b.drop {
				st.req.body = append(st.req.body, st.buf[:n]...)
			}
			if int(n) == len(st.buf) {
				// All used: the next read goes into the same room, not
				// a new one (a body comes in many reads).
				st.buf = st.buf[:0]
			} else {
				st.buf = st.buf[n:]
			}
			b.left -= n
			b.size += n
			if b.left > 0 {
				return false, 0
			}
			if !b.chunked {
				return true, 0
			}
			b.step = chunkDataEnd
		case chunkSize:
			line, ok, status := chunkLine(st)
			if !ok {
				return false, status
			}
			n, ok := parseChunkSize(line)
			if !ok {
				return false, 400
			}
			if n > maxBody-uint64(b.size) {
				return false, 413
			}
			if !b.countFraming(line, n) {
				return false, 400
			}
			b.step, b.left = bodyData, int64(n)
			if n == 0 {
				b.step = chunkTrailer
			}
		case chunkDataEnd:
			if len(st.buf) < 2 {
				return false, 0
			}
			if string(st.buf[:2]) != "\r\n" {
				return false, 400 // the chunk is longer than its size said
			}
			st.buf = st.buf[2:]
			b.step = chunkSize
		case chunkTrailer:
			line, ok, status := chunkLine(st)
			if !ok {
				return false, status
			}
			if line == "" {
				return true, 0
			}
			// Trailer fields come after the body, too late for most uses;
			// we check their form and drop them (RFC 9110 §6.5.1).
			_, _, ok = parseField(string(line))
			if b.trailer += len(line); !ok {
				return false, 400
			}
			if b.trailer > maxHead {
				return false, 431
			}
		}
	}
}

// chunkLine takes one line of a chunked body off st.buf, without its line
// end. Here a line must end in CRLF: a bare LF, tolerated in the head, is
// refused inside chunked framing, where servers that disagree on it can
// be made to read a smuggled request (CVE-2025-22871).
func chunkLine(st *connState) (string, bool, int) {
	// As in readHead, a line that arrives a byte at a time is looked at
	// a byte at a time: the next look starts where this one stopped.
	b := &st.body
	i := bytes.IndexByte(st.buf[b.scanned:], '\n')
	if i < 0 {
		b.scanned = len(st.buf)
		if len(st.buf) > maxChunkLine {
			return "", false, 400
		}
		return "", false, 0
	}
	i += b.scanned
	b.scanned = 0
	line := st.buf[:i]
	if i == 0 || line[i-1] != '\r' || i > maxChunkLine {
		return "", false, 400
	}
	st.buf = st.buf[i+1:]
	return string(line[:i-1]), true, 0
}

// parseChunkSize reads a chunk-size line: the size in hex, 1*HEXDIG (RFC
// 9112 §7.1), perhaps followed by extensions, ";name=value", which mean
// nothing to us and are dropped (§7.1.1). Spaces or tabs may come only
// before a ";" (BWS): "5 " alone is refused. A lenient parser reads it as
// 5, a strict one as an error, and two servers that disagree on where a
// chunk ends are how a request gets smuggled past one of them. ParseUint,
// given base 16, refuses signs and "0x".
func parseChunkSize(line string) (uint64, bool) {
	size, ext, hasExt := strings.Cut(line, ";")
	if hasExt {
		size = strings.TrimRight(size, " \t")
	}
	n, err := strconv.ParseUint(size, 16, 63)
	return n, err == nil && isFieldValue(ext)
}

// countFraming counts a chunk's framing, its size line and two line ends,
// against what its size allows, and reports whether the body is still
// within its budget. A chunk of one byte, "1\r\nX\r\n", is five bytes of
// framing for one of data, and a client may stream a byte at a time. But
// extensions ("1;aaaa…\r\nX\r\n"), or zeros before the size, can put any
// number of bytes around each byte of data, each line under maxChunkLine:
// 8 MB around a 2 KB body, all of it read for nothing. So, as Go's
// net/http does since CVE-2023-39326, 16 bytes a chunk and twice its size
// are free; what goes beyond adds up, and past maxFraming the body is
// refused.
func (b *bodyState) countFraming(line string, size uint64) bool {
	b.framing = max(b.framing+int64(len(line))+4-16-2*int64(size), 0)
	return b.framing <= maxFraming
}
