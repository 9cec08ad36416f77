package main

// The app: stage 8's calculated pages, written on the framework. Each is a
// handler; the HTML ones are templates (templates/time.html, dinner.html)
// on the site's layout. They come in stage 8's order.

import (
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"
)

// app is the application. Its pages are made from the site's templates.
type app struct {
	pages pages
}

// routes are looked at, in order, before the files. HEAD goes wherever GET
// goes: it is GET without the body (RFC 9110 §9.3.2).
func (a app) routes() []route {
	return []route{
		{"/the_time", "GET, HEAD", a.theTime},
		{"/hello/", "GET, HEAD, POST", hello},
		{"/sum", "GET, HEAD", sum},
		{"/form", "GET, HEAD, POST", a.form},
	}
}

// foods says where to go for each choice on the food form.
var foods = map[string]string{
	"Pizza": "Pizza Hut",
	"Tacos": "TacoBell",
	"Salad": "Sweetgreen",
}

// crash is a handler with a bug: it panics. main adds it, at
// /debug/panic, only when WORKBOOK_PANIC_ROUTE=1, so that a test can show
// that the server survives it.
func crash(w *response, req *request) {
	var pages map[string]string
	pages[req.target] = "oops" // assignment to a nil map: a panic
	writeResponse(w, 200, "text/plain; charset=utf-8", []byte(pages[req.target]))
}

// theTime answers /the_time with the time on the server's clock.
func (a app) theTime(w *response, req *request) {
	now := time.Now().Format("Monday 2 January 2006, 15:04:05 MST")
	a.pages.render(w, 200, "time.html", now)
}

// hello answers /hello/anything, for GET and POST alike, with its path.
func hello(w *response, req *request) {
	p := req.path
	if decoded, err := url.PathUnescape(p); err == nil {
		p = decoded
	}
	// text/plain: the path is the visitor's text, and as plain text it
	// can't be run as a script in the page.
	writeResponse(w, 200, "text/plain; charset=utf-8", []byte("hello, "+p+"\n"))
}

// sum answers /sum?a=2&b=3, the sum server of the sockets lecture.
func sum(w *response, req *request) {
	q, err := formValues(req)
	// big.Int adds whole numbers of any size: no overflow to think about.
	a, okA := new(big.Int).SetString(q.Get("a"), 10)
	b, okB := new(big.Int).SetString(q.Get("b"), 10)
	if err != nil || !okA || !okB {
		writeResponse(w, 400, "text/plain; charset=utf-8", []byte("400 Bad Request: sum needs two whole numbers, as in /sum?a=2&b=3\n"))
		return
	}
	writeResponse(w, 200, "text/plain; charset=utf-8", fmt.Appendf(nil, "%s + %s = %s\n", a, b, new(big.Int).Add(a, b)))
}

// form answers the food form, sent with GET or POST.
func (a app) form(w *response, req *request) {
	q, err := formValues(req)
	name := q.Get("firstname")
	place, ok := foods[q.Get("food")]
	if err != nil || name == "" || !ok {
		a.pages.renderError(w, 400, "The form needs a first name and a food: Pizza, Tacos or Salad.")
		return
	}
	// The name is the visitor's text, going back into HTML: the template
	// escapes it, so a name like "<script>…" shows as text instead of
	// running as code in the page (cross-site scripting).
	a.pages.render(w, 200, "dinner.html", struct{ Name, Place string }{name, place})
}

// formValues reads a form's fields: from the query string of a GET, or from
// the body of a POST, in the application/x-www-form-urlencoded format that
// browsers use for both ("firstname=John&food=Tacos"). url.ParseQuery
// splits the pairs and decodes "+" and "%XX" for us.
func formValues(req *request) (url.Values, error) {
	if req.method == "POST" {
		contentType := strings.Join(req.header["content-type"], ",")
		mediaType, _, _ := strings.Cut(contentType, ";")
		if !strings.EqualFold(strings.TrimSpace(mediaType), "application/x-www-form-urlencoded") {
			return url.Values{}, errors.New("the body is not a form")
		}
		return url.ParseQuery(string(req.body))
	}
	return url.ParseQuery(req.query)
}
