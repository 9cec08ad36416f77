package main

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"path"
)

// The pages we make ourselves are html/templates, compiled into the
// program (go:embed), so the binary needs no files beside it. base.html
// is the layout, with the site's style and a link home; each page fills
// its "title" and "content" blocks.
//
//go:embed templates/*.html
var templateFiles embed.FS

// pages holds a template set per page, by file name ("listing.html"):
// made once, by loadPages, before the server starts, and only read after.
type pages map[string]*template.Template

// loadPages parses the layout with each page. Each page gets a template
// set of its own: the blocks it defines would replace another page's.
func loadPages() (pages, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := pages{}
	for _, name := range names {
		if path.Base(name) == "base.html" {
			continue
		}
		t, err := template.ParseFS(templateFiles, "templates/base.html", name)
		if err != nil {
			return nil, err
		}
		p[path.Base(name)] = t
	}
	return p, nil
}

// execute fills a page with data. html/template escapes what data holds
// for where it goes in the page (text, attribute, URL), so a visitor's
// text shows as text, and never runs as a script (cross-site scripting).
func (p pages) execute(page string, data any) ([]byte, error) {
	var body bytes.Buffer
	err := p[page].Execute(&body, data)
	return body.Bytes(), err
}

// render answers with a page, or with a 500 if it can't be made.
func (p pages) render(w *response, status int, page string, data any) {
	body, err := p.execute(page, data)
	if err != nil {
		sendError(w, 500)
		return
	}
	writeResponse(w, status, "text/html; charset=utf-8", body)
}

// errorInfo is what error.html shows.
type errorInfo struct {
	Status   int
	Text     string // the reason phrase, "Not Found"
	Location string // where a redirect leads
	Message  string // what to do about it, when we can say
}

// errorPage is the page of an error status, or of a redirect with a link
// to where it leads: the server's sendError sends it.
func (p pages) errorPage(status int, location string) []byte {
	body, _ := p.execute("error.html", errorInfo{Status: status, Text: statusText[status], Location: location})
	return body
}

// renderError answers with an error page that says what to do about it.
func (p pages) renderError(w *response, status int, message string) {
	p.render(w, status, "error.html", errorInfo{Status: status, Text: statusText[status], Message: message})
}
