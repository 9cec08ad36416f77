package main

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The pages we make ourselves are html/templates, compiled into the
// program (go:embed), so the binary needs no files beside it. base.html
// is the layout; each page fills its "title" and "content" blocks.
//
//go:embed templates/*.html
var templateFiles embed.FS

var (
	errorTemplate   = pageTemplate("error.html")
	listingTemplate = pageTemplate("listing.html")
)

// pageTemplate parses the layout with one page. Each page gets a template
// set of its own: the blocks it defines would replace another page's.
func pageTemplate(page string) *template.Template {
	return template.Must(template.ParseFS(templateFiles, "templates/base.html", "templates/"+page))
}

// listingEntry is one line of a folder listing.
type listingEntry struct {
	Name     string // as the file system has it: the template escapes it for HTML
	Link     string // the name percent-encoded, for the href
	Size     string
	Modified string
}

// sendListing answers with a page listing a folder's files and folders,
// sorted by name, each a link.
//
// A listing shows everything in the folder, including files nobody was
// meant to find (backups, .env, .git): that is why real servers make it
// a switch, "autoindex off" in nginx (the default), "Options -Indexes" in
// Apache.
func sendListing(w *response, root *os.Root, name string) int {
	// The folder as a root of its own: each of its entries is then one
	// system call away (fstatat), where root.Stat(name+"/"+entry) would
	// open the folder again for every entry.
	dir, err := root.OpenRoot(name)
	if err != nil {
		return sendError(w, 404)
	}
	defer dir.Close()
	f, err := dir.Open(".")
	if err != nil {
		return sendError(w, 404)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return sendError(w, 404)
	}
	// Readdirnames returns names in the order the file system keeps them,
	// which is no order at all on most file systems.
	slices.Sort(names)
	var entries []listingEntry
	for _, n := range names {
		// Lstat describes a symlink, not what it leads to. That we look
		// up through the whole root, as a click on the link would: a
		// link that leads out of the root fails, and is not listed.
		info, err := dir.Lstat(n)
		if err == nil && info.Mode()&fs.ModeSymlink != 0 {
			info, err = root.Stat(path.Join(name, n))
		}
		if err != nil {
			continue
		}
		e := listingEntry{Name: n, Size: "-", Modified: info.ModTime().Format("2006-01-02 15:04")}
		if info.IsDir() {
			e.Name += "/"
		} else {
			e.Size = strconv.FormatInt(info.Size(), 10)
		}
		// A name is text, a link is a URL: "a b#1.txt" must be linked as
		// "a%20b%231.txt", or the browser asks for "a b" and calls "1.txt"
		// a fragment. url.URL does the percent-encoding, and puts "./"
		// before a name like "javascript:alert(1)" that would read as a
		// URL scheme. html/template then escapes both for the page.
		e.Link = (&url.URL{Path: e.Name}).String()
		entries = append(entries, e)
	}

	page := struct {
		Path    string
		Entries []listingEntry
	}{"/" + strings.TrimPrefix(name+"/", "./"), entries}
	var body bytes.Buffer
	if err := listingTemplate.Execute(&body, page); err != nil {
		return sendError(w, 500)
	}
	writeResponse(w, 200, "text/html; charset=utf-8", body.Bytes())
	return 200
}
