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
	"sync"
	"time"
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
	folder, err := f.Stat()
	if err != nil {
		return sendError(w, 404)
	}
	if page, ok := listings.get(root, name, folder.ModTime()); ok {
		writeResponse(w, 200, "text/html; charset=utf-8", page)
		return 200
	}
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
	listings.put(root, name, folder.ModTime(), body.Bytes())
	writeResponse(w, 200, "text/html; charset=utf-8", body.Bytes())
	return 200
}

// listings keeps each folder's page for a moment. Rendering is by far the
// costly part of a listing: html/template calls its escaping functions for
// every name, link, size and date, through reflection, and a 100-entry
// page costs ten times what Go's own http.FileServer spends on its bare
// list of names. A page is used again while it is less than listingTTL
// old and the folder's modification time is the same: adding, removing or
// renaming an entry changes the folder's time and so makes a new page at
// once; a file that grows in place shows its new size within listingTTL.
// That is the trade every cache makes: a bounded staleness for speed.
var listings = listingCache{pages: map[listingKey]cachedListing{}}

const (
	listingTTL      = time.Second
	listingCacheMax = 256 // folders; past that the cache starts again empty
)

type listingKey struct {
	root string // the document root's name: tests run several servers
	name string
}

type cachedListing struct {
	modTime time.Time // the folder's, when the page was made
	made    time.Time
	page    []byte
}

type listingCache struct {
	mu    sync.Mutex
	pages map[listingKey]cachedListing
}

func (c *listingCache) get(root *os.Root, name string, modTime time.Time) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.pages[listingKey{root.Name(), name}]
	if !ok || !e.modTime.Equal(modTime) || time.Since(e.made) > listingTTL {
		return nil, false
	}
	return e.page, true
}

func (c *listingCache) put(root *os.Root, name string, modTime time.Time, page []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pages) >= listingCacheMax {
		clear(c.pages)
	}
	c.pages[listingKey{root.Name(), name}] = cachedListing{modTime, time.Now(), slices.Clone(page)}
}
