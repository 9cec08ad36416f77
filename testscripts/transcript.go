package testscripts

import (
	"fmt"
	"slices"
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
	hintSilent  = "still waiting for bytes when the grader gave up: does the server wait for more than the blank line that ends the head? Read until \"\\r\\n\\r\\n\", not until EOF (the client keeps the connection open for the answer)."
	hintNoClose = "the server answered but never closed the connection: stages 1–8 answer one request per connection, then conn.Close()."
	hintBareLF  = "HTTP lines end in CRLF (\"\\r\\n\"), not a bare \"\\n\": check every line you write, and the blank line after the headers."
	hintLength  = "Content-Length is the number of body bytes: take len() of the []byte you write, after building the whole body (not the number of characters, not the file name's length)."
)

// socketHints explains how an exchange ended when that alone is
// suspicious. stage is the stage's number, for the function a hint names.
func socketHints(ex *exchange, stage int) []string {
	switch {
	case ex.end == endNoConnection && isRefused(ex.err):
		return []string{hintRefused}
	case ex.end == endReset:
		return []string{hintReset}
	case ex.end == endEOF && len(ex.response) == 0:
		return []string{fmt.Sprintf("the server closed the connection without answering: does %s write anything before closing? did it panic? Its console is below.", connFunc(stage))}
	case ex.end == endTimeout && len(ex.response) == 0:
		return []string{hintSilent}
	}
	return nil
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

// statusHint suggests where to look when the status code is wrong.
func statusHint(want, got, stage int) string {
	fn := answerFunc(stage)
	switch {
	case got == 200 && want == 404:
		return fmt.Sprintf("does %s look at the path at all, or answer every request the same?", fn)
	case got == 200 && want >= 400:
		return fmt.Sprintf("does %s look at the request at all (method, path, version), or answer every request the same?", fn)
	case want == 404 && got != 200:
		return "a path with no file behind it should answer 404 Not Found."
	case got == 404 && want < 400:
		return "the server said Not Found: does the path map to the right file under -dir? Try the command above and look at the path your server opens."
	case want == 400:
		return "a request that does not parse (bad request line, missing Host, bad header) should answer 400 Bad Request."
	case want == 405 || want == 501:
		return "does the server check the method before serving?"
	case want >= 300 && want < 400:
		return "a redirect needs a 3xx status and a Location header."
	case got >= 500:
		return "the server reported an error of its own: look at its console for the cause."
	}
	return fmt.Sprintf("this request should get %d %s: find where %s chooses the status, and follow this request through it.", want, reasonPhrase(want), fn)
}

// reasonPhrase is the reason phrase RFC 9110 gives a status code.
func reasonPhrase(code int) string {
	phrases := map[int]string{
		100: "Continue", 200: "OK", 201: "Created", 204: "No Content", 206: "Partial Content",
		301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
		400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
		411: "Length Required", 412: "Precondition Failed", 413: "Content Too Large", 414: "URI Too Long",
		415: "Unsupported Media Type", 416: "Range Not Satisfiable", 417: "Expectation Failed", 431: "Request Header Fields Too Large",
		500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
	}
	return phrases[code]
}
