package main

// The framework: what a site is made of, above the server. Everything
// here is a handler, the one shape the server calls (server.go), or helps
// to write one: the route table (router, below), pages made from templates
// (framework_pages.go), and what every site gets beneath its routes, its
// files, folder listings and CGI scripts (framework_files.go,
// framework_listing.go, framework_cgi.go), as Go's net/http has
// FileServer and net/http/cgi.

import (
	"slices"
	"strings"
)

// route is a path answered by code rather than by a file.
type route struct {
	path   string      // a path that ends in "/" also matches every path below it
	allow  string      // the methods it answers, as an Allow header lists them
	answer handlerFunc // writes the page
}

// router sends each request to the route for its path, and every other
// path to the document root's files and scripts.
type router struct {
	routes []route // looked at in order, before the files
	files  handler
}

// serveHTTP answers one request, through its route or from the files.
func (r *router) serveHTTP(w *response, req *request) {
	if rt, ok := r.findRoute(req.path); ok {
		serveRoute(w, rt, req)
		return
	}
	r.files.serveHTTP(w, req)
}

// bodyReader is a handler that can tell, from a request's head alone,
// whether serveHTTP will read the body.
type bodyReader interface {
	wantsBody(req *request) bool
}

// wantsBody reports whether the handler for req may read its body: a
// route that takes the method may; for any other path, the files say.
// The server throws away, as it arrives, a body that nobody will read.
func (r *router) wantsBody(req *request) bool {
	if rt, ok := r.findRoute(req.path); ok {
		return slices.Contains(strings.Split(rt.allow, ", "), req.method)
	}
	if b, ok := r.files.(bodyReader); ok {
		return b.wantsBody(req)
	}
	return true
}

// findRoute finds the route for a path, if it has one.
func (r *router) findRoute(p string) (route, bool) {
	for _, rt := range r.routes {
		if p == rt.path || strings.HasSuffix(rt.path, "/") && strings.HasPrefix(p, rt.path) {
			return rt, true
		}
	}
	return route{}, false
}

// serveRoute answers a request with the page its route calculates.
func serveRoute(w *response, rt route, req *request) {
	if !slices.Contains(strings.Split(rt.allow, ", "), req.method) {
		// A 405 must list the methods that would work (RFC 9110 §15.5.6).
		sendError(w, 405, "Allow: "+rt.allow)
		return
	}
	// A route makes its page anew for each request, and has no validator
	// to send: no entity tag, no date. Its preconditions still hold, with
	// nothing to compare (RFC 9110 §13.1): "If-Match: *" is true of any
	// page and a list of tags false (412: whoever sent it has a version
	// that is not ours), "If-None-Match: *" false (304 for GET and HEAD);
	// a date is ignored. A route that can name its versions (a page made
	// from a database row and its time of change) would pass them here.
	if status := preconditions(req, validators{}); status != 0 {
		answerPrecondition(w, status, nil)
		return
	}
	rt.answer(w, req)
}
