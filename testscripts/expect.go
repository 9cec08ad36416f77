package testscripts

// The checks behind `expect WHAT ARGS...`. Each is a plain function of the
// last exchange that returns nil or a *failure, so the self-test can call
// them directly.

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// checkEnv is what a check may need beyond the exchange.
type checkEnv struct {
	now      time.Time                         // for the Date header
	stage    int                               // the stage's number (final: 9), for what a hint may name
	readFile func(name string) ([]byte, error) // for body-file
}

type check struct {
	usage string // the arguments, for the usage message
	nargs int
	run   func(c *checkEnv, ex *exchange, args []string) (*failure, error)
}

// checks maps expect's first argument to its check. An error from run is a
// mistake in the script (bad regexp, bad escape), not in the server.
var checks = map[string]check{
	"status":        {"CODE", 1, checkStatus},
	"header":        {"NAME VALUE", 2, checkHeader},
	"header-match":  {"NAME REGEXP", 2, checkHeaderMatch},
	"no-header":     {"NAME", 1, checkNoHeader},
	"body":          {"TEXT", 1, checkBody},
	"body-contains": {"TEXT", 1, checkBodyContains},
	"body-lacks":    {"TEXT", 1, checkBodyLacks},
	"body-match":    {"REGEXP", 1, checkBodyMatch},
	"body-file":     {"FILE", 1, checkBodyFile},
	"raw":           {"TEXT", 1, checkRaw},
	"wellformed":    {"", 0, checkWellformed},
	"closed":        {"", 0, checkClosed},
	"silent":        {"", 0, checkSilent},
	"whole-request": {"", 0, checkWholeRequest},
	"responses":     {"N", 1, checkResponses},
	"header-set":    {"'NAME NAME...'", 1, checkHeaderSet},
}

func checkStatus(c *checkEnv, ex *exchange, args []string) (*failure, error) {
	want, err := strconv.Atoi(args[0])
	if err != nil || want < 100 || want > 599 {
		return nil, fmt.Errorf("expect status: %q is not a status code", args[0])
	}
	should := "answer " + args[0]
	if len(ex.response) == 0 {
		return fail(should, fmt.Sprintf("expected status %d, got no response at all", want)), nil
	}
	if _, bad := checkStatusLine(ex.response); bad != nil {
		return bad.failure(should, ex.response, "the status line is malformed:"), nil
	}
	r := ex.resp()
	if got := r.code; got != want {
		return fail(should, fmt.Sprintf("expected status %d, got %d", want, got)).hint("%s", statusHint(ex, want, got, c.stage)), nil
	}
	// Clients go by the number, but a person reads the words: a phrase
	// that belongs to another code ("404 OK") is a copy-paste slip.
	_, reason, _ := strings.Cut(strings.TrimPrefix(r.statusLine, "HTTP/1.1 "), " ")
	for code, phrase := range reasonPhrases {
		if code != want && strings.EqualFold(reason, phrase) && !strings.EqualFold(reason, reasonPhrase(want)) {
			return fail(should, fmt.Sprintf("expected the status line %q, got %q: %q is the reason phrase of %d", fmt.Sprintf("HTTP/1.1 %d %s", want, reasonPhrase(want)), r.statusLine, reason, code)).
				hint("each code has its own reason phrase (RFC 9110 §15): take it from one table, keyed by the code, for every response."), nil
		}
	}
	return nil, nil
}

// missingHeader is the failure for a header that is not there at all.
func missingHeader(should string, ex *exchange, name string) *failure {
	f := missingHeaderOnly(should, ex, name)
	if h := headerHints[strings.ToLower(name)]; h != "" {
		f.hint("%s", h)
	}
	return f
}

// headerHints say what a header is for, when it is missing.
var headerHints = map[string]string{
	"allow":          "a 405 response lists the methods that would work in an Allow header, such as \"Allow: GET\" (RFC 9110 §15.5.6).",
	"date":           `Date is the time of the response, in IMF-fixdate and GMT: "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §6.6.1).`,
	"content-type":   "Content-Type says what the body is, such as \"text/html; charset=utf-8\" (RFC 9110 §8.3).",
	"content-length": "Content-Length is the body's size in bytes: without it a client cannot tell where the body ends (RFC 9112 §6.2).",
	"location":       "a redirect says where to go in a Location header (RFC 9110 §10.2.2).",
}

// missingHeaderOnly is missingHeader without a hint.
func missingHeaderOnly(should string, ex *exchange, name string) *failure {
	var names []string
	for _, h := range ex.resp().headers {
		names = append(names, h.name)
	}
	got := "no headers at all"
	if len(names) > 0 {
		got = "headers received: " + strings.Join(names, ", ")
	}
	return fail(should, fmt.Sprintf("expected %s %s header, found none (%s)", cond(strings.ContainsRune("AEIOUaeiou", rune(name[0])), "an", "a"), name, got))
}

func checkHeader(c *checkEnv, ex *exchange, args []string) (*failure, error) {
	name, want := args[0], args[1]
	should := fmt.Sprintf("send the header %q", name+": "+want)
	vs := ex.resp().values(name)
	if len(vs) == 0 {
		return missingHeader(should, ex, name), nil
	}
	if slices.Contains(vs, want) {
		return nil, nil
	}
	f := fail(should, fmt.Sprintf("expected %s: %q, got %s: %q", name, want, name, strings.Join(vs, `", "`)))
	if h := headerValueHint(ex, name, want, vs[0]); h != "" {
		f.hint("%s", h)
	}
	return f, nil
}

// headerValueHint explains a header with the wrong value, from the two
// values and the request.
func headerValueHint(ex *exchange, name, want, got string) string {
	noSpace := func(s string) string { return strings.Join(strings.Fields(s), "") }
	mediaType := func(s string) string { t, _, _ := strings.Cut(s, ";"); return strings.TrimSpace(t) }
	path, _, _ := strings.Cut(requestTarget(ex), "?")
	ext := path[strings.LastIndexByte(path, '/')+1:]
	if i := strings.LastIndexByte(ext, '.'); i >= 0 {
		ext = ext[i:]
	} else {
		ext = ""
	}
	isType := strings.EqualFold(name, "Content-Type")
	switch {
	case strings.EqualFold(got, want):
		return "the value is compared exactly: mind upper and lower case."
	case noSpace(got) == noSpace(want):
		return fmt.Sprintf("the value is compared exactly: mind the spaces (%q).", want)
	case isType && ex.resp().code >= 400 && mediaType(want) == "text/html" && mediaType(got) != "text/html":
		return "an error page is HTML, whatever the path asked for: take the type from the file's extension only when a file is served."
	case isType && ext != strings.ToLower(ext):
		return fmt.Sprintf("the extension %q is in capitals: look it up in lower case (strings.ToLower), so that PHOTO.JPG is a JPEG too.", ext)
	case isType && mediaType(want) == mediaType(got) && strings.Contains(want, "charset=utf-8"):
		return `text types carry "; charset=utf-8" after the media type.`
	case isType && want == "application/octet-stream":
		return fmt.Sprintf("an extension the server has no type for (here %q), or none at all, is application/octet-stream: plain bytes, which a browser saves rather than shows.", cond(ext == "", "no extension", ext))
	}
	return ""
}

func checkHeaderMatch(c *checkEnv, ex *exchange, args []string) (*failure, error) {
	name := args[0]
	re, err := regexp.Compile(args[1])
	if err != nil {
		return nil, fmt.Errorf("expect header-match: %v", err)
	}
	should := fmt.Sprintf("send %s %s header matching `%s`", cond(strings.ContainsRune("AEIOUaeiou", rune(name[0])), "an", "a"), name, args[1])
	vs := ex.resp().values(name)
	if len(vs) == 0 {
		return missingHeader(should, ex, name), nil
	}
	if slices.ContainsFunc(vs, re.MatchString) {
		return nil, nil
	}
	f := fail(should, fmt.Sprintf("expected %s to match `%s`, got %q", name, args[1], strings.Join(vs, `", "`)))
	if strings.EqualFold(name, "Date") {
		f.hint("%s", dateHint(vs[0], c.now))
	}
	return f, nil
}

func checkNoHeader(_ *checkEnv, ex *exchange, args []string) (*failure, error) {
	if vs := ex.resp().values(args[0]); len(vs) > 0 {
		return fail("not send a "+args[0]+" header",
			fmt.Sprintf("expected no %s header, got %s: %q", args[0], args[0], strings.Join(vs, `", "`))), nil
	}
	return nil, nil
}

// noBody explains why a send exchange has no body to check.
func noBody(should string, ex *exchange) *failure {
	if ex.via == "send" && ex.resp().headEnd < 0 {
		if len(ex.response) == 0 {
			return fail(should, "expected a body, got no response at all")
		}
		return fail(should, "expected a body, but the blank line that ends the head never came")
	}
	return nil
}

func checkBody(c *checkEnv, ex *exchange, args []string) (*failure, error) {
	want, err := unescape(args[0])
	if err != nil {
		return nil, err
	}
	return compareBody(c, fmt.Sprintf("answer with the body %q", clip(string(want), 40)), ex, want), nil
}

func checkBodyFile(c *checkEnv, ex *exchange, args []string) (*failure, error) {
	want, err := c.readFile(args[0])
	if err != nil {
		return nil, err
	}
	return compareBody(c, "answer with the bytes of "+args[0], ex, want), nil
}

func compareBody(c *checkEnv, should string, ex *exchange, want []byte) *failure {
	if f := noBody(should, ex); f != nil {
		return f
	}
	if d := describeDiff("body", want, ex.bodyBytes()); d != nil {
		return withBodyHint(fail(should, d...), c, ex, want, ex.bodyBytes(), false)
	}
	return nil
}

// withBodyHint adds to f the hint that a wrong body points to, if any.
// contains says that want is a piece of the body, not the whole of it.
func withBodyHint(f *failure, c *checkEnv, ex *exchange, want, got []byte, contains bool) *failure {
	if h := bodyHint(ex, want, got, contains, c.stage); h != "" {
		f.hint("%s", h)
	}
	return f
}

// bodyHint names the mistake that a wrong body points to, from the two
// bodies and the request: text still encoded as the request had it, text
// not escaped for HTML, lines out of order or with other line ends.
func bodyHint(ex *exchange, want, got []byte, contains bool, stage int) string {
	target := requestTarget(ex)
	_, query, _ := strings.Cut(target, "?")
	_, form, _ := sentHead(ex.request())
	fields := strings.FieldsFunc(query+"&"+string(form), func(r rune) bool { return r == '&' || r == '=' })
	for _, esc := range escapeRE.FindAllString(target+string(form), -1) {
		if bytes.Contains(got, []byte(esc)) && !bytes.Contains(want, []byte(esc)) {
			return fmt.Sprintf("the body shows %q as the request had it, still percent-encoded: decode it once (url.PathUnescape for a path; url.ParseQuery decodes a form's fields, \"+\" included).", esc)
		}
	}
	for _, v := range fields {
		if strings.Contains(v, "+") && bytes.Contains(got, []byte(v)) && bytes.Contains(want, []byte(strings.ReplaceAll(v, "+", " "))) {
			return fmt.Sprintf("in a form, \"+\" stands for a space: %q is %q. Decode the fields (url.ParseQuery does, %%XX included).", v, strings.ReplaceAll(v, "+", " "))
		}
	}
	unescaped := []byte(html.UnescapeString(string(want)))
	switch {
	case contains && errorHeadingRE.Match(want):
		return fmt.Sprintf("every error page names its status in a heading, exactly %s: build them all in one helper%s.", want, cond(stage >= 4 && stage <= 8, ", such as sendError()", ""))
	case query != "" && bytes.Contains(got, []byte("?"+query)) && !bytes.Contains(want, []byte("?"+query)):
		return fmt.Sprintf("the query string (%q) is not part of the path: cut the target at \"?\" first.", "?"+query)
	case !bytes.Equal(unescaped, want) && bytes.Contains(got, unescaped):
		return "the visitor's text went into the page as it came, so a browser would run it as HTML: escape it first, < > & \" ' as &lt; &gt; &amp; &#34; &#39; (html.EscapeString; in Python, html.escape)."
	case contains:
		return ""
	case bytes.Equal(bytes.ReplaceAll(want, []byte("\n"), []byte("\r\n")), got):
		return `the lines end in "\r\n" where "\n" was expected: send the body's bytes as they are; only the head's lines end in CRLF.`
	case len(got) > len(want) && bytes.HasSuffix(got, want):
		return fmt.Sprintf("the expected bytes came, after %d others: %s. Nothing goes before them.", len(got)-len(want), quoteTrunc(got[:len(got)-len(want)]))
	case bytes.Equal(append(bytes.Clone(got), '\n'), want):
		return `the last line ends in "\n" too.`
	case sameLines(want, got):
		return `the same lines in another order: sort the names byte by byte (slices.Sort on strings does: "B" before "a", "ü" after "t"), not ignoring case.`
	case bytes.Equal(bytes.ReplaceAll(want, []byte("/\n"), []byte("\n")), bytes.ReplaceAll(got, []byte("/\n"), []byte("\n"))):
		return `a folder's name ends in "/" ("drafts/"), a file's does not.`
	}
	return ""
}

// errorHeadingRE is the heading of an error page: "<h1>404 Not Found</h1>".
var errorHeadingRE = regexp.MustCompile(`^<h1>[45][0-9]{2} [A-Za-z ]+</h1>$`)

// sameLines reports whether a and b hold the same lines in another order.
func sameLines(a, b []byte) bool {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	slices.Sort(la)
	slices.Sort(lb)
	return !bytes.Equal(a, b) && slices.Equal(la, lb)
}

func checkBodyContains(c *checkEnv, ex *exchange, args []string) (*failure, error) {
	want, err := unescape(args[0])
	if err != nil {
		return nil, err
	}
	should := fmt.Sprintf("answer with a body containing %q", clip(string(want), 60))
	if f := noBody(should, ex); f != nil {
		return f, nil
	}
	if body := ex.bodyBytes(); !bytes.Contains(body, want) {
		return withBodyHint(fail(should, fmt.Sprintf("expected %q somewhere in the body, got body %s", want, quoteTrunc(body))), c, ex, want, body, true), nil
	}
	return nil, nil
}

func checkBodyLacks(_ *checkEnv, ex *exchange, args []string) (*failure, error) {
	bad, err := unescape(args[0])
	if err != nil {
		return nil, err
	}
	if i := bytes.Index(ex.bodyBytes(), bad); i >= 0 {
		f := fail(fmt.Sprintf("answer with a body without %q", clip(string(bad), 60)),
			fmt.Sprintf("expected no %q in the body, found it at byte %d", bad, i))
		if sent, err := url.QueryUnescape(string(ex.request())); err == nil && bytes.ContainsAny(bad, "<>&") && strings.Contains(sent, string(bad)) {
			f.hint("the visitor's text went into the page as it came, so a browser would run it as HTML: escape it first, < > & \" ' as &lt; &gt; &amp; &#34; &#39; (html.EscapeString; in Python, html.escape).")
		}
		return f, nil
	}
	return nil, nil
}

func checkBodyMatch(_ *checkEnv, ex *exchange, args []string) (*failure, error) {
	re, err := regexp.Compile("(?m)" + args[0])
	if err != nil {
		return nil, fmt.Errorf("expect body-match: %v", err)
	}
	should := fmt.Sprintf("answer with a body matching `%s`", clip(args[0], 60))
	if f := noBody(should, ex); f != nil {
		return f, nil
	}
	if body := ex.bodyBytes(); !re.Match(body) {
		return fail(should, fmt.Sprintf("expected the body to match `%s`, got body %s", args[0], quoteTrunc(body))), nil
	}
	return nil, nil
}

func checkRaw(c *checkEnv, ex *exchange, args []string) (*failure, error) {
	want, err := unescape(args[0])
	if err != nil {
		return nil, err
	}
	got := ex.response
	off := firstDiff(want, got)
	if off < 0 {
		return nil, nil
	}
	msg := "expected the response to end here"
	if off < len(want) {
		msg = fmt.Sprintf("expected %q here", want[off:off+1])
	}
	lines := []string{fmt.Sprintf("expected exactly %s", quoteTrunc(want)), fmt.Sprintf("the response differs from byte %d on:", off)}
	f := fail(fmt.Sprintf("answer exactly %s", clip(fmt.Sprintf("%q", want), 50)), append(lines, caretBlock(got, off, msg)...)...)
	if len(got) > 0 {
		withBodyHint(f, c, ex, want, got, false)
	}
	return f, nil
}

func checkClosed(_ *checkEnv, ex *exchange, _ []string) (*failure, error) {
	if ex.via != "send" || ex.end == endFramed {
		return nil, errors.New("expect closed works after a plain send only (not client, not send -keep)")
	}
	const should = "close the connection after answering"
	switch {
	case ex.writeErr != nil:
		// The read may still end in EOF: the write took the reset.
		return fail(should, fmt.Sprintf("expected a clean close, but the server reset the connection while the request was still being sent (%d of %d bytes taken): %v", ex.sent, len(ex.request()), ex.writeErr)).
			hint("closing a socket with unread bytes sends a reset: after answering, shut down writing, then read and throw away what the client still sends until it closes (a lingering close, RFC 9112 §9.6), then close."), nil
	case ex.end == endEOF:
		return nil, nil
	}
	switch ex.end {
	case endReset:
		return fail(should, "expected a clean close (EOF), but the connection was reset"), nil
	case endTimeout:
		f := fail(should, fmt.Sprintf("expected the server to close the connection; it was still open after %v", ex.timeout))
		if len(ex.response) > 0 {
			f.hint("%s", hintNoClose)
		}
		return f, nil
	}
	return fail(should, fmt.Sprintf("expected a clean close (EOF), got %v", ex.err)), nil
}

func checkSilent(_ *checkEnv, ex *exchange, _ []string) (*failure, error) {
	if len(ex.response) > 0 {
		f := fail("not answer at all", fmt.Sprintf("expected no bytes at all, got %d bytes", len(ex.response)))
		lines, body, _ := sentHead(ex.request())
		if n, ok := contentLength(lines); ok && len(body) < n {
			f.hint("this request's body is shorter than its Content-Length says (%d of %d bytes came): the rest may still be on its way, so keep reading until all of it has come (io.ReadFull), and answer only then.", len(body), n)
		}
		return f, nil
	}
	return nil, nil
}

// imfFixdate is the one Date format HTTP senders must use (RFC 9110 §5.6.7).
const imfFixdate = "Mon, 02 Jan 2006 15:04:05 GMT"

// checkWellformed is the strict framing check: the head byte by byte, then
// the headers every response of stages 3–8 must carry.
func checkWellformed(c *checkEnv, ex *exchange, _ []string) (*failure, error) {
	const should = "answer with a well-formed HTTP/1.1 response"
	raw := ex.response
	if len(raw) == 0 {
		return fail(should, "expected a response, got no bytes at all"), nil
	}
	headers, bodyStart, bad := checkHead(raw)
	if bad != nil {
		return bad.failure(should, raw, "the response is malformed:"), nil
	}
	r := &response{headers: headers}
	one := func(name string) (string, *failure) {
		vs := r.values(name)
		switch len(vs) {
		case 0:
			return "", missingHeaderOnly(should, ex, name).
				hint("every response carries Date, Content-Type, Content-Length and (in stages 3–8) Connection: close.")
		case 1:
			return vs[0], nil
		}
		return "", fail(should, fmt.Sprintf("the %s header appears %d times; send it once", name, len(vs)))
	}

	date, f := one("Date")
	if f != nil {
		return f, nil
	}
	t, err := time.Parse(imfFixdate, date)
	if err != nil || t.Format(imfFixdate) != date {
		return fail(should, fmt.Sprintf("expected Date in IMF-fixdate format like %q, got %q", imfFixdate, date)).hint("%s", dateHint(date, c.now)), nil
	}
	if d := c.now.Sub(t); d > time.Minute || d < -time.Minute {
		return fail(should, fmt.Sprintf("Date says %s, but the grader's clock says %s", date, c.now.UTC().Format(imfFixdate))).hint("%s", dateHint(date, c.now)), nil
	}

	if _, f := one("Content-Type"); f != nil {
		return f, nil
	}

	cl, f := one("Content-Length")
	if f != nil {
		return f, nil
	}
	n, err := strconv.Atoi(cl)
	if err != nil || strings.TrimLeft(cl, "0123456789") != "" {
		return fail(should, fmt.Sprintf("expected Content-Length to be a number of bytes (digits only), got %q", cl)).hint("%s", hintLength), nil
	}
	got := len(raw) - bodyStart
	code := parseResponse(raw).code
	switch {
	case ex.method() == "HEAD" || code == 204 || code == 304:
		if got > 0 {
			return fail(should, fmt.Sprintf("a %s response has no body, but %d bytes came after the head", cond(code == 204 || code == 304, strconv.Itoa(code), "HEAD"), got)), nil
		}
	case got < n:
		until := map[endReason]string{
			endEOF:     "before the server closed the connection",
			endReset:   "before the connection was reset",
			endTimeout: fmt.Sprintf("before the grader stopped waiting (%v)", ex.timeout),
		}[ex.end]
		return fail(should, strings.TrimSpace(fmt.Sprintf("Content-Length says %d but %d body bytes arrived %s", n, got, until))).hint("%s", lengthHint(ex, n, raw[bodyStart:])), nil
	case got > n:
		return fail(should, fmt.Sprintf("Content-Length says %d but %d body bytes arrived", n, got)).hint("%s", lengthHint(ex, n, raw[bodyStart:])), nil
	}

	if ex.end != endFramed { // send -keep is for keep-alive; the others want one request per connection
		conn := r.values("Connection")
		if !slices.ContainsFunc(conn, func(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "close") }) {
			f := missingHeaderOnly(should, ex, "Connection: close")
			if len(conn) > 0 {
				f = fail(should, fmt.Sprintf("expected Connection: close, got Connection: %q", strings.Join(conn, `", "`)))
			}
			return f.hint("stages 3–8 answer one request per connection, and say so with Connection: close."), nil
		}
	}
	return nil, nil
}

// dateHint explains a Date that is not IMF-fixdate in GMT, or not now.
func dateHint(date string, now time.Time) string {
	const layout = `format it with time.Now().UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"): UTC, English names, two-digit day.`
	if strings.HasSuffix(date, " UTC") {
		return `the zone is written GMT, always (RFC 9110 §5.6.7): Go's time.RFC1123 writes the zone's own name, "UTC". Format with "Mon, 02 Jan 2006 15:04:05 GMT" after UTC().`
	}
	t, err := time.Parse(imfFixdate, date)
	if err != nil {
		return layout
	}
	// Off by a whole number of quarter hours: a time zone's offset, the
	// local time labelled GMT.
	off := t.Sub(now)
	zone := off.Round(15 * time.Minute)
	if zone != 0 && zone.Abs() <= 14*time.Hour && (off-zone).Abs() < time.Minute {
		h, m := int(zone.Abs().Hours()), int(zone.Abs().Minutes())%60
		by := strings.TrimSpace(cond(h > 0, fmt.Sprintf("%d h ", h), "") + cond(m > 0, fmt.Sprintf("%d min", m), ""))
		return fmt.Sprintf("Date is %s %s the grader's clock: that is a time zone's offset, so the time was formatted in local time and labelled GMT. Call UTC() before Format.",
			by, cond(zone > 0, "ahead of", "behind"))
	}
	if off.Abs() > time.Minute {
		return fmt.Sprintf("Date is %s away from the grader's clock: is it the time of the response, from time.Now() when you answer, not a date written into the code? ", off.Round(time.Second)) + layout
	}
	return layout
}

// lengthHint explains a Content-Length that does not match the body that
// came, from the two numbers and the request.
func lengthHint(ex *exchange, n int, body []byte) string {
	path, _, _ := strings.Cut(requestTarget(ex), "?")
	name := path[strings.LastIndexByte(path, '/')+1:]
	switch got := len(body); {
	case got > n && utf8.Valid(body) && utf8.RuneCount(body) == n:
		return fmt.Sprintf("Content-Length %d is the number of characters; the body has %d bytes (\"é\" is two bytes in UTF-8). Count the bytes of the encoded body: len() of the []byte you write (in Python, len() of the bytes, not of the str).", n, got)
	case n == len(name) && n != got:
		return fmt.Sprintf("Content-Length %d is the length of the file's name, %q: give the file's size in bytes (Size() of its FileInfo).", n, name)
	case got < n && got >= 512 && got&(got-1) == 0:
		return fmt.Sprintf("exactly %d bytes came, one buffer's worth: one Read of a file returns at most a buffer, not the whole file. Copy all of it (io.Copy), and check every write's error.", got)
	case got < n:
		return "the body stopped short of its Content-Length: does the server write the whole body, and is the length taken from that same body? " + hintLength
	}
	return hintLength
}

func cond[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}

// A badByte is the first wrong byte of a response and what was expected.
type badByte struct {
	off    int
	msg    string
	bareLF bool
}

func (b *badByte) failure(should string, raw []byte, intro string) *failure {
	f := fail(should, append([]string{intro}, caretBlock(raw, b.off, b.msg)...)...)
	if b.bareLF {
		f.hint(hintBareLF)
	}
	return f
}

// expectCRLF checks for CRLF at raw[i:] and returns the offset after it.
func expectCRLF(raw []byte, i int, where string) (int, *badByte) {
	switch {
	case i >= len(raw):
		return i, &badByte{off: i, msg: "the response ended here; expected CRLF " + where}
	case raw[i] == '\n':
		return i, &badByte{off: i, msg: `expected CRLF here: this is a bare LF ("\n" without "\r" before it)`, bareLF: true}
	case raw[i] != '\r':
		return i, &badByte{off: i, msg: "expected CRLF " + where}
	case i+1 >= len(raw):
		return i + 1, &badByte{off: i + 1, msg: `the response ended here; expected "\n" after "\r"`}
	case raw[i+1] != '\n':
		return i + 1, &badByte{off: i + 1, msg: `expected "\n" after this "\r"`}
	}
	return i + 2, nil
}

// checkStatusLine checks `HTTP/1.1 SP 3DIGIT SP reason CRLF` (RFC 9112 §4)
// and returns the offset of the first header line.
func checkStatusLine(raw []byte) (int, *badByte) {
	const version = "HTTP/1.1 "
	for i := 0; i < len(version); i++ {
		if i >= len(raw) {
			return i, &badByte{off: i, msg: "the response ended inside the status line"}
		}
		if raw[i] != version[i] {
			return i, &badByte{off: i, msg: fmt.Sprintf("expected %q here: a status line starts with %q", version[i:i+1], version)}
		}
	}
	i := len(version)
	for ; i < len(version)+3; i++ {
		if i >= len(raw) || raw[i] < '0' || raw[i] > '9' {
			return i, &badByte{off: i, msg: "expected a 3-digit status code here"}
		}
	}
	if i >= len(raw) || raw[i] != ' ' {
		return i, &badByte{off: i, msg: "expected a space after the status code"}
	}
	for i++; i < len(raw) && raw[i] != '\r' && raw[i] != '\n'; i++ {
		if c := raw[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return i, &badByte{off: i, msg: "unexpected control byte in the reason phrase"}
		}
	}
	return expectCRLF(raw, i, "after the status line")
}

// isTokenChar reports whether c may appear in a header name (RFC 9110 §5.6.2).
func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// checkHead checks the status line, each `name: value CRLF` header line and
// the blank line, and returns the headers and the offset of the body.
func checkHead(raw []byte) ([]header, int, *badByte) {
	i, bad := checkStatusLine(raw)
	if bad != nil {
		return nil, 0, bad
	}
	var headers []header
	for {
		if i >= len(raw) {
			return nil, 0, &badByte{off: i, msg: "the response ended before the blank line that ends the head"}
		}
		if raw[i] == '\r' || raw[i] == '\n' {
			end, bad := expectCRLF(raw, i, "for the blank line that ends the head")
			return headers, end, bad
		}
		start := i
		for i < len(raw) && isTokenChar(raw[i]) {
			i++
		}
		switch {
		case i >= len(raw):
			return nil, 0, &badByte{off: i, msg: "the response ended inside a header name"}
		case raw[i] == ' ' || raw[i] == '\t':
			if i > start {
				return nil, 0, &badByte{off: i, msg: "no space allowed between a header name and its colon (RFC 9112 §5.1)"}
			}
			return nil, 0, &badByte{off: i, msg: "a header line cannot start with a space"}
		case i == start:
			return nil, 0, &badByte{off: i, msg: "expected a header name here (letters, digits and -)"}
		case raw[i] != ':':
			return nil, 0, &badByte{off: i, msg: "expected ':' after the header name"}
		}
		name := string(raw[start:i])
		i++
		vstart := i
		for ; i < len(raw) && raw[i] != '\r' && raw[i] != '\n'; i++ {
			if c := raw[i]; c < 0x20 && c != '\t' || c == 0x7f {
				return nil, 0, &badByte{off: i, msg: "unexpected control byte in a header value"}
			}
		}
		headers = append(headers, header{name, strings.Trim(string(raw[vstart:i]), " \t")})
		if i, bad = expectCRLF(raw, i, "after this header line"); bad != nil {
			return nil, 0, bad
		}
	}
}

// checkWholeRequest fails when the answer came before the first request
// had fully arrived (send with several pieces): the server took one Read
// for a request, and answered what it had.
func checkWholeRequest(_ *checkEnv, ex *exchange, _ []string) (*failure, error) {
	if ex.via != "send" || len(ex.pieces) < 2 {
		return nil, errors.New("expect whole-request: needs a send of two or more pieces")
	}
	if early := ex.earlyAnswer(); early != "" {
		return fail("read the whole request before answering", fmt.Sprintf("the answer began after %d of the %d bytes sent", ex.answeredAfter, len(ex.request()))), nil
	}
	return nil, nil
}

// checkResponses: the last send got exactly N responses (a 1xx counts),
// each whole, and not one byte after the last.
func checkResponses(_ *checkEnv, ex *exchange, args []string) (*failure, error) {
	want, err := strconv.Atoi(args[0])
	if err != nil || want < 1 {
		return nil, fmt.Errorf("expect responses: %q is not a number of responses", args[0])
	}
	if ex.via != "send" {
		return nil, errors.New("expect responses: only after send")
	}
	should := fmt.Sprintf("answer with %d responses, one after the other", want)
	parts := ex.responses()
	got := 0
	for _, p := range parts {
		got += len(p.response)
	}
	switch {
	case len(parts) != want:
		return fail(should, fmt.Sprintf("expected %d responses, got %d", want, len(parts))).
			hint("each request on a connection gets exactly one response, in order; a HEAD's, a 304's or a 1xx's ends with its blank line, any other's after Content-Length bytes."), nil
	case got < len(ex.response):
		return fail(should, fmt.Sprintf("%d bytes came after the last response: %s", len(ex.response)-got, quoteTrunc(ex.response[got:]))).
			hint("a body longer than its Content-Length, or a body after a HEAD, is read by the client as the start of the next response."), nil
	}
	return nil, nil
}

// checkHeaderSet: the response has exactly these headers, each once, in
// any order (names compared as HTTP does, without regard to case).
func checkHeaderSet(_ *checkEnv, ex *exchange, args []string) (*failure, error) {
	want := strings.Fields(strings.ToLower(args[0]))
	if len(want) == 0 {
		return nil, errors.New("expect header-set: name at least one header")
	}
	var got []string
	for _, h := range ex.resp().headers {
		got = append(got, strings.ToLower(h.name))
	}
	slices.Sort(want)
	slices.Sort(got)
	if slices.Equal(want, got) {
		return nil, nil
	}
	var extra, missing []string
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	f := fail("send exactly the headers "+args[0], fmt.Sprintf("expected the headers %s; got %s", strings.Join(want, ", "), strings.Join(got, ", ")))
	if len(extra) > 0 {
		f.hint("not expected here: %s.", strings.Join(extra, ", "))
	}
	if len(missing) > 0 {
		f.hint("missing: %s.", strings.Join(missing, ", "))
	}
	if len(extra) == 0 && len(missing) == 0 {
		f.hint("a header is sent more than once: send each once.")
	}
	return f, nil
}
