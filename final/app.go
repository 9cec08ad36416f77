package main

import (
	"errors"
	"fmt"
	"html"
	"math/big"
	"net/url"
	"slices"
	"strings"
	"time"
)

// route is a path answered by code rather than by a file.
type route struct {
	path   string // a path that ends in "/" also matches every path below it
	allow  string // the methods it answers, as an Allow header lists them
	answer func(req request) (status int, contentType, body string)
}

// routes are looked at, in order, before the files. HEAD goes wherever GET
// goes: it is GET without the body (RFC 9110 §9.3.2).
var routes = []route{
	{"/the_time", "GET, HEAD", theTime},
	{"/hello/", "GET, HEAD, POST", hello},
	{"/sum", "GET, HEAD", sum},
	{"/form", "GET, HEAD, POST", form},
}

// panicRoute makes the server crash on purpose, so that a test can show
// that it survives. main adds it only when WORKBOOK_PANIC_ROUTE=1.
var panicRoute = route{"/debug/panic", "GET, HEAD", crash}

// foods says where to go for each choice on the food form.
var foods = map[string]string{
	"Pizza": "Pizza Hut",
	"Tacos": "TacoBell",
	"Salad": "Sweetgreen",
}

// serve answers one well-formed request and returns the status it sent.
func (s *server) serve(w *response, req *request) int {
	if !slices.Contains(knownMethods, req.method) {
		return sendError(w, 501)
	}
	if req.target == "*" {
		// What the server does, for every path (RFC 9110 §9.3.7).
		writeHead(w, 204, "", -1, "Allow: GET, HEAD, POST")
		return 204
	}
	if rt, ok := findRoute(req.target); ok {
		return serveRoute(w, rt, *req)
	}
	name, ok := fileName(req.target)
	if !ok {
		return sendError(w, 400)
	}
	// Decided on the cleaned name, never on the raw target: every spelling
	// of a script's path ("//cgi-bin/x", "/cgi-bin/./x", "/%63gi-bin/x")
	// must run it, or one of them would send its source code.
	if isCGI(name) {
		return s.serveCGI(w, req, name)
	}
	return s.serveFile(w, req, name)
}

// findRoute finds the route for a target's path, if it has one.
func findRoute(target string) (route, bool) {
	p, _, _ := strings.Cut(target, "?")
	for _, rt := range routes {
		if p == rt.path || strings.HasSuffix(rt.path, "/") && strings.HasPrefix(p, rt.path) {
			return rt, true
		}
	}
	return route{}, false
}

// serveRoute answers a request with the page its route calculates.
func serveRoute(w *response, rt route, req request) int {
	if !slices.Contains(strings.Split(rt.allow, ", "), req.method) {
		// A 405 must list the methods that would work (RFC 9110 §15.5.6).
		return sendError(w, 405, "Allow: "+rt.allow)
	}
	status, contentType, body := rt.answer(req)
	writeHead(w, status, contentType, int64(len(body)))
	w.Write([]byte(body))
	return status
}

// theTime answers /the_time with the time on the server's clock.
func theTime(req request) (int, string, string) {
	now := time.Now().Format("Monday 2 January 2006, 15:04:05 MST")
	return 200, "text/html; charset=utf-8", "<!DOCTYPE html>\n<html><head><title>The time</title></head>\n" +
		"<body><h1>The time is " + now + "</h1></body></html>\n"
}

// hello answers /hello/anything, for GET and POST alike, with its path.
func hello(req request) (int, string, string) {
	p, _, _ := strings.Cut(req.target, "?")
	if decoded, err := url.PathUnescape(p); err == nil {
		p = decoded
	}
	// text/plain: the path is the visitor's text, and as plain text it
	// can't be run as a script in the page.
	return 200, "text/plain; charset=utf-8", "hello, " + p + "\n"
}

// sum answers /sum?a=2&b=3, the sum server of the sockets lecture.
func sum(req request) (int, string, string) {
	q, err := formValues(req)
	// big.Int adds whole numbers of any size: no overflow to think about.
	a, okA := new(big.Int).SetString(q.Get("a"), 10)
	b, okB := new(big.Int).SetString(q.Get("b"), 10)
	if err != nil || !okA || !okB {
		return 400, "text/plain; charset=utf-8", "400 Bad Request: sum needs two whole numbers, as in /sum?a=2&b=3\n"
	}
	return 200, "text/plain; charset=utf-8", fmt.Sprintf("%s + %s = %s\n", a, b, new(big.Int).Add(a, b))
}

// form answers the food form, sent with GET or POST.
func form(req request) (int, string, string) {
	q, err := formValues(req)
	name := q.Get("firstname")
	place, ok := foods[q.Get("food")]
	if err != nil || name == "" || !ok {
		return 400, "text/plain; charset=utf-8", "400 Bad Request: the form needs a firstname and a food (Pizza, Tacos or Salad)\n"
	}
	// The name is the visitor's text, going back into HTML: escaped, a
	// name like "<script>…" shows as text instead of running as code in
	// the page (cross-site scripting).
	msg := html.EscapeString(name) + ", go to " + place + " tonight!"
	return 200, "text/html; charset=utf-8", "<!DOCTYPE html>\n<html><head><title>Dinner</title></head>\n" +
		"<body><h1>" + msg + "</h1></body></html>\n"
}

// crash is a handler with a bug: it panics.
func crash(req request) (int, string, string) {
	var pages map[string]string
	pages[req.target] = "oops" // assignment to a nil map: a panic
	return 200, "text/plain; charset=utf-8", pages[req.target]
}

// formValues reads a form's fields: from the query string of a GET, or from
// the body of a POST, in the application/x-www-form-urlencoded format that
// browsers use for both ("firstname=John&food=Tacos"). url.ParseQuery
// splits the pairs and decodes "+" and "%XX" for us.
func formValues(req request) (url.Values, error) {
	if req.method == "POST" {
		contentType := strings.Join(req.header["content-type"], ",")
		mediaType, _, _ := strings.Cut(contentType, ";")
		if !strings.EqualFold(strings.TrimSpace(mediaType), "application/x-www-form-urlencoded") {
			return url.Values{}, errors.New("the body is not a form")
		}
		return url.ParseQuery(string(req.body))
	}
	_, query, _ := strings.Cut(req.target, "?")
	return url.ParseQuery(query)
}
