package testscripts

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A transcript is what a beginner reads when a check fails: what was sent,
// what came back, what was expected, a command to reproduce it by hand and
// a hint. Every failing command of the grader renders one, in this order:
//
//	stage4_404: GET /nope-3f9a.html should answer 404
//	  try it:   go run ./stage4_404 8000   # then, in a second terminal:
//	            curl -v -H 'Host: localhost' http://127.0.0.1:8000/nope-3f9a.html
//	  sent:     "GET /nope-3f9a.html HTTP/1.1\r\nHost: localhost\r\n\r\n"
//	  received: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
//	            (then the server closed the connection, after 3ms)
//	  expected status 404, got 200
//	  hint: does serve() look at the path at all, or answer every request the same?
//	  script: stage4_404/notfound.txtar   seed: 12345 (rerun with GRADER_SEED=12345)
type transcript struct {
	stage   string
	subject string // "GET /nope-3f9a.html", "the server"
	should  string // "answer 404"
	tryIt   string
	ex      *exchange // the exchange to show as sent/received, or nil
	lines   []string  // expected/got and carets
	hints   []string
	more    []string // the script's own hints (the hint command), shown first
	console []string // console lines to show, already cut
	script  string
	seed    uint64
}

func (tr *transcript) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s should %s\n", tr.stage, tr.subject, tr.should)
	field := func(name, value string) {
		fmt.Fprintf(&b, "  %-9s %s\n", name+":", value)
	}
	if tr.tryIt != "" {
		lines := strings.Split(tr.tryIt, "\n")
		field("try it", lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "            %s\n", l)
		}
	}
	if ex := tr.ex; ex != nil {
		field("sent", ex.sentText())
		field("received", quoteTrunc(ex.response))
		fmt.Fprintf(&b, "            (%s)\n", ex.endText())
	}
	for _, l := range tr.lines {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	for _, h := range slices.Concat(tr.more, tr.hints) {
		fmt.Fprintf(&b, "  hint: %s\n", h)
	}
	if len(tr.console) > 0 {
		b.WriteString("  server console:\n")
		for _, l := range tr.console {
			fmt.Fprintf(&b, "    | %s\n", l)
		}
	}
	fmt.Fprintf(&b, "  script: %s   seed: %d (rerun with GRADER_SEED=%d)", tr.script, tr.seed, tr.seed)
	return b.String()
}

// A failure is what a check returns: the "should" of the headline, the
// expected/got lines and any hints specific to the check. The command that
// ran the check adds the rest of the transcript.
type failure struct {
	should string
	lines  []string
	hints  []string
}

func (f *failure) hint(format string, args ...any) *failure {
	f.hints = append(f.hints, fmt.Sprintf(format, args...))
	return f
}

func fail(should string, lines ...string) *failure {
	return &failure{should: should, lines: lines}
}

// Hints for the ways a connection can go wrong. They are shown first, since
// a socket problem explains every other symptom.
const (
	hintRefused = "nothing is listening on that port: did the server crash or stop? Its console is below."
	hintReset   = "the connection was reset instead of closed: the server closed it while request bytes were still unread, or crashed. Read the whole head, up to the blank line, before answering."
	hintSilent  = "still waiting for bytes when the grader gave up: the server is stuck before answering. Does it wait for more than the request, reading until EOF? The client keeps the connection open for the answer: a head ends at its blank line, \"\\r\\n\\r\\n\"."
	hintNoClose = "the server answered but never closed the connection: stages 1–8 answer one request per connection, then conn.Close()."
	hintBareLF  = "HTTP lines end in CRLF (\"\\r\\n\"), not a bare \"\\n\": check every line you write, and the blank line after the headers."
	hintLength  = "Content-Length is the number of body bytes: take len() of the []byte you write, after building the whole body."
)

// socketHints explains how an exchange ended when that alone is
// suspicious. stage is the stage's number, for the function a hint names.
func socketHints(ex *exchange, stage int, lines bool) []string {
	switch {
	case ex.end == endNoConnection && isRefused(ex.err):
		return []string{hintRefused}
	case ex.end == endReset:
		return []string{hintReset}
	case ex.end == endEOF && len(ex.response) == 0:
		return []string{fmt.Sprintf("the server closed the connection without answering: does %s write anything before closing? did it panic? Its console is below.", connFunc(stage))}
	case ex.end == endTimeout && len(ex.response) == 0 && lines:
		return []string{"still waiting for bytes when the grader gave up: does the server answer each line as soon as its \"\\n\" has come? Read a line at a time (ReadString('\\n'), readline()), not until EOF: the client keeps the connection open for more."}
	case ex.end == endTimeout && len(ex.response) == 0:
		return []string{silentHint(ex.request())}
	}
	return nil
}

// silentHint explains a server that said nothing, from what the grader
// sent it: a head of bare LFs, a body it announced, or neither.
func silentHint(req []byte) string {
	lines, body, ok := sentHead(req)
	if !ok {
		return hintSilent
	}
	if !bytes.Contains(req, []byte("\r\n\r\n")) {
		return "this request's lines end in a bare \"\\n\", as nc sends them when you type: an empty line \"\\n\" ends the head too (RFC 9112 §2.2 lets a server accept a bare LF). Does the server wait for \"\\r\\n\\r\\n\" only?"
	}
	n, ok := contentLength(lines)
	switch {
	case !ok:
		return hintSilent
	case n == 0:
		return "this request says Content-Length: 0, no body at all, and nothing came back: does the server read the body until EOF, rather than exactly Content-Length bytes?"
	case len(body) < n:
		return fmt.Sprintf("this request announces a body of %d bytes (Content-Length) and sends %d of them: a server that reads the body first waits for the rest. Decide what needs no body from the head alone (a length over the limit is a 413), before reading it.", n, len(body))
	}
	return fmt.Sprintf("the whole request came, its %d-byte body included, and nothing came back: does the server read exactly Content-Length bytes of body (not until EOF), through the same buffered reader that read the head? Body bytes that came with the head are already in that reader's buffer.", n)
}

// connFunc and answerFunc name the functions of the reference stages that
// serve a connection and choose the answer to a request: what a student
// who follows the workbook has too.
func connFunc(stage int) string {
	if stage >= 9 {
		return "the server"
	}
	return "handle()"
}

func answerFunc(stage int) string {
	switch {
	case stage <= 3:
		return "handle()"
	case stage >= 9:
		return "the handler"
	}
	return "serve()"
}

// refuseFunc names where the reference stages refuse a bad request: a
// request line that does not parse in handle(), from stage 5 a path in
// serve() too.
func refuseFunc(stage int) string {
	switch {
	case stage <= 4:
		return "handle()"
	case stage >= 9:
		return "the server"
	}
	return "handle() or serve()"
}

// statusHint suggests where to look when the status code is wrong, from
// the two codes and what the grader sent: a hint names the mistake that
// this request and this answer point to, and claims no more than that.
func statusHint(ex *exchange, want, got, stage int) string {
	fn := answerFunc(stage)
	req := ex.request()
	lines, _, _ := sentHead(req)
	method, target := ex.method(), requestTarget(ex)
	path, _, _ := strings.Cut(target, "?")
	switch problem := requestProblem(req, stage); {
	case want == 400 && problem != "" && got == 200 && strings.Contains(problem, `".."`):
		return "why 400: " + problem + ". This server answered 200: it served something for this path, maybe a file from outside -dir."
	case want == 400 && problem != "":
		return "why 400: " + problem + "."
	case want == 405 && got == 404:
		return fmt.Sprintf("check the method before the path: %s is not a method this path takes, so the answer is 405 whether or not the path exists.", method)
	case want == 405:
		return fmt.Sprintf("%s is not a method this path takes: check the method before answering, and refuse it with 405 Method Not Allowed and an Allow header that lists the methods that work (RFC 9110 §15.5.6).", method)
	case want == 501 && headerValue(lines, "Transfer-Encoding") != "":
		return fmt.Sprintf("this request's body comes with Transfer-Encoding: %s, a framing the server does not decode: answer 501 Not Implemented before reading any body, rather than read its chunks as the next request.", headerValue(lines, "Transfer-Encoding"))
	case want == 413 && headerValue(lines, "Content-Length") != "":
		return fmt.Sprintf("Content-Length %s is more than the server accepts: answer 413 Content Too Large from the head alone, before reading the body.", headerValue(lines, "Content-Length"))
	case got == 405:
		return fmt.Sprintf("the server answered 405 Method Not Allowed, but %s is a method this path takes: which methods does %s allow for it?%s", method, fn, cond(stage >= 8, " (Routes are looked at before the files.)", ""))
	case strings.Contains(path, "%25") && (got == 200 || got == 400 || got == 404):
		once, _ := url.PathUnescape(path)
		return fmt.Sprintf("decode the path exactly once: %s is %s after one decoding, a name of its own (%%25 is an escaped %%). Decoding twice is how %%252e%%252e turns into \"..\".", strconv.Quote(path), strconv.Quote(once))
	case want == 404 && got == 200 && stage <= 4:
		return fmt.Sprintf("does %s look at the path at all, or answer every request the same?", fn)
	case want == 404 && got == 200:
		return fmt.Sprintf("%s served something for a path that should find nothing: print the name it opens for this path, and check that it is a regular file inside -dir (not a folder, not through a symlink that leads out).", fn)
	case got == 400 && want != 400:
		return fmt.Sprintf("this request is well-formed, yet the server called it a bad request: which check in %s refused it? Try the command above.", refuseFunc(stage))
	case got == 404 && want < 400:
		return notFoundHint(target, stage)
	case want == 404:
		return "a path with no file behind it should answer 404 Not Found."
	case want == 400:
		return fmt.Sprintf("this request should be refused with 400 Bad Request: find where %s decides what it accepts, and follow this request through it.", refuseFunc(stage))
	case want == 412:
		return "a precondition of this request is false (If-Match, If-Unmodified-Since; If-None-Match for a method other than GET and HEAD): answer 412 Precondition Failed before anything else (RFC 9110 section 13.2.2)."
	case want == 304:
		return "the client's copy is still good (its If-None-Match names this tag, or its If-Modified-Since is not before Last-Modified): answer 304 Not Modified, no body, with the ETag, Last-Modified and Vary a 200 would carry (RFC 9110 sections 13.2.2, 15.4.5)."
	case want == 406:
		return "the client's Accept-Encoding refuses every form this server has of the file, identity included: answer 406 Not Acceptable."
	case got == 200 && want >= 400:
		return fmt.Sprintf("does %s look at the request at all (method, path, version), or answer every request the same?", fn)
	case want == 301 || want == 302 || want == 303 || want == 307 || want == 308:
		return "a redirect needs a 3xx status and a Location header."
	case got >= 500:
		return "the server reported an error of its own: look at its console for the cause."
	}
	return fmt.Sprintf("this request should get %d %s: find where %s chooses the status, and follow this request through it.", want, reasonPhrase(want), fn)
}

// notFoundHint explains a 404 for a target that names a file, from what
// the target holds.
func notFoundHint(target string, stage int) string {
	path, query, _ := strings.Cut(target, "?")
	switch {
	case stage >= 5 && query != "":
		return fmt.Sprintf("the query string (%q) is not part of the file name: cut the target at \"?\" before looking for the file.", "?"+query)
	case stage >= 5 && escapeRE.MatchString(path):
		once, _ := url.PathUnescape(path)
		return fmt.Sprintf("the path arrives percent-encoded: %s names the file %s. Decode it once (url.PathUnescape) before opening the file.", strconv.Quote(path), strconv.Quote(once))
	case stage >= 5 && strings.HasSuffix(path, "/"):
		return fmt.Sprintf("the path names a folder: serve the index.html inside it%s.", cond(stage >= 6, ", or list the folder when it has none", ""))
	}
	return "the server said Not Found: does the path map to the right file under -dir? Try the command above and look at the path your server opens."
}

var escapeRE = regexp.MustCompile(`%[0-9A-Fa-f]{2}`)

// requestTarget is the request's target, "" when its line has no target.
func requestTarget(ex *exchange) string {
	parts := strings.Split(ex.requestLine(), " ")
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// sentHead splits a request the grader sent into the lines of its head
// (line ends removed) and the bytes after the blank line; ok is false when
// the blank line was not sent.
func sentHead(req []byte) (lines []string, body []byte, ok bool) {
	for off := 0; off < len(req); {
		end := bytes.IndexByte(req[off:], '\n')
		if end < 0 {
			return append(lines, string(req[off:])), nil, false
		}
		line := strings.TrimSuffix(string(req[off:off+end]), "\r")
		off += end + 1
		if line == "" && len(lines) > 0 {
			return lines, req[off:], true
		}
		lines = append(lines, line)
	}
	return lines, nil, false
}

// headerValue is the value of the first header line called name in a
// head's lines, or "".
func headerValue(lines []string, name string) string {
	for _, l := range lines[min(1, len(lines)):] {
		if n, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(n, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// contentLength is the body length a head announces, when it announces one.
func contentLength(lines []string) (int, bool) {
	n, err := strconv.Atoi(headerValue(lines, "Content-Length"))
	return n, err == nil && n >= 0
}

// requestProblem says what makes a request the grader sent malformed, by
// the rules of the stage that first checks them (the request line from
// stage 4, the path from stage 5, header lines and the body's framing
// from stage 8), or "" when it finds nothing wrong.
func requestProblem(req []byte, stage int) string {
	lines, _, ok := sentHead(req)
	if !ok || stage < 4 {
		return ""
	}
	line := lines[0]
	q := strconv.Quote
	parts := strings.Split(line, " ")
	switch {
	case strings.ContainsRune(line, '\t'):
		return fmt.Sprintf("the request line %s has a tab where a space belongs: one space, and only a space, separates the method, the target and the version (RFC 9112 §3)", q(line))
	case strings.Contains(line, "  "):
		return fmt.Sprintf("the request line %s has two spaces in a row: exactly one space separates its three parts (RFC 9112 §3). Split on \" \" and count the parts: strings.Fields would hide the extra space", q(line))
	case len(parts) != 3:
		return fmt.Sprintf("the request line %s has %d parts, not three: a method, a target and a version, one space between each (RFC 9112 §3)", q(line), len(parts))
	case !isToken(parts[0]):
		return fmt.Sprintf("the method %s is not a token: letters, digits and !#$%%&'*+-.^_`|~ only (RFC 9110 §5.6.2)", q(parts[0]))
	case !strings.HasPrefix(parts[1], "/"):
		return fmt.Sprintf("the target %s does not start with \"/\"", q(parts[1]))
	case strings.IndexFunc(parts[1], func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0:
		return fmt.Sprintf("the target %s holds a byte that is not visible ASCII: anything else must arrive percent-encoded (RFC 3986)", q(parts[1]))
	case !versionRE.MatchString(parts[2]):
		return fmt.Sprintf("the version %s is not HTTP/, a digit, a dot and a digit (RFC 9112 §2.3)", q(parts[2]))
	}
	if stage < 5 {
		return ""
	}
	path, _, _ := strings.Cut(parts[1], "?")
	decoded, err := url.PathUnescape(path)
	switch {
	case err != nil:
		return fmt.Sprintf("the path %s has a broken percent-escape: %% must be followed by two hex digits, so decoding it fails", q(path))
	case slices.Contains(strings.Split(decoded, "/"), ".."):
		return fmt.Sprintf("the path %s%s has a \"..\" segment, which climbs out of the document root", q(path), cond(decoded != path, ", decoded "+q(decoded)+",", ""))
	case strings.Contains(decoded, "\\"):
		return fmt.Sprintf("the path %s%s holds a backslash, a folder separator on Windows: \"..\\\" climbs out of the root there", q(path), cond(decoded != path, ", decoded "+q(decoded)+",", ""))
	case strings.Contains(decoded, "\x00"):
		return fmt.Sprintf("the path %s holds a NUL byte once decoded, which cuts the name short for the operating system", q(path))
	}
	if stage < 8 {
		return ""
	}
	hosts, lengths := 0, 0
	for _, h := range lines[1:] {
		name, value, found := strings.Cut(h, ":")
		switch {
		case h[0] == ' ' || h[0] == '\t':
			return fmt.Sprintf("the header line %s starts with a space: an obsolete folded line, which a server refuses (RFC 9112 §5.2)", q(h))
		case !found:
			return fmt.Sprintf("the header line %s has no colon: each header line is Name: value (RFC 9112 §5)", q(h))
		case strings.TrimRight(name, " \t") != name && isToken(strings.TrimRight(name, " \t")):
			return fmt.Sprintf("the header line %s has a space before its colon, which RFC 9112 §5.1 says to refuse", q(h))
		case !isToken(name):
			return fmt.Sprintf("the header name %s is not a token", q(name))
		case strings.EqualFold(name, "Host"):
			hosts++
		case strings.EqualFold(name, "Content-Length"):
			lengths++
			if v := strings.TrimSpace(value); v == "" || strings.Trim(v, "0123456789") != "" {
				return fmt.Sprintf("Content-Length %s is not plain digits", q(v))
			}
		}
	}
	switch {
	case lengths > 1:
		return fmt.Sprintf("Content-Length comes %d times, and even equal values leave the server to guess which one frames the body (RFC 9112 §6.3)", lengths)
	case hosts > 1:
		return fmt.Sprintf("this request has %d Host headers, and RFC 9112 §3.2 allows exactly one", hosts)
	case hosts == 0 && parts[2] == "HTTP/1.1":
		return "this HTTP/1.1 request has no Host header, which RFC 9112 §3.2 requires (HTTP/1.0 may leave it out)"
	}
	return ""
}

var versionRE = regexp.MustCompile(`^HTTP/[0-9]\.[0-9]$`)

// isToken reports whether s is a token (RFC 9110 §5.6.2): a method, a
// header name.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return s != ""
}

// reasonPhrases are the reason phrases RFC 9110 gives the status codes.
var reasonPhrases = map[int]string{
	100: "Continue", 200: "OK", 201: "Created", 204: "No Content", 206: "Partial Content",
	301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
	400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
	411: "Length Required", 412: "Precondition Failed", 413: "Content Too Large", 414: "URI Too Long",
	415: "Unsupported Media Type", 416: "Range Not Satisfiable", 417: "Expectation Failed", 431: "Request Header Fields Too Large",
	500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
}

// reasonPhrase is the reason phrase RFC 9110 gives a status code.
func reasonPhrase(code int) string { return reasonPhrases[code] }
