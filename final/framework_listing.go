package main

import (
	"hash/fnv"
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
// A listing shows what is in the folder, including files nobody was meant
// to find (backups, old versions): that is why real servers make it a
// switch, "autoindex off" in nginx (the default), "Options -Indexes" in
// Apache. Names that start with a dot (.env, .git) are left out, as
// serveHTTP refuses them, unless -dotfiles.
func (d *docRoot) sendListing(w *response, req *request, name string) {
	// The folder as a root of its own: each of its entries is then one
	// system call away (fstatat), where root.Stat(name+"/"+entry) would
	// open the folder again for every entry.
	dir, err := d.root.OpenRoot(name)
	if err != nil {
		sendError(w, 404)
		return
	}
	defer dir.Close()
	f, err := dir.Open(".")
	if err != nil {
		sendError(w, 404)
		return
	}
	defer f.Close()
	folder, err := f.Stat()
	if err != nil {
		sendError(w, 404)
		return
	}
	page, etag, ok := d.listings.get(name, folder.ModTime())
	if !ok {
		names, err := f.Readdirnames(-1)
		if err != nil {
			sendError(w, 404)
			return
		}
		if page, err = d.makeListing(dir, name, names); err != nil {
			sendError(w, 500)
			return
		}
		etag = pageTag(page)
		d.listings.put(name, folder.ModTime(), page, etag)
	}
	d.sendPage(w, req, name+"/", page, etag)
}

// pageTag is the entity tag of a page we made: a hash of its bytes. A
// listing has no modification time of its own that would do (the
// folder's does not change when a file in it grows), and no hash of a
// file is worth reading the file for; but the page is in memory already,
// and hashing it costs a few microseconds, once per page made. FNV is no
// cryptographic hash: the tag needs to change when the page does, not to
// withstand an attacker, who could only make his own cache keep a page.
func pageTag(page []byte) string {
	h := fnv.New64a()
	h.Write(page)
	return `"` + strconv.FormatUint(h.Sum64(), 16) + `"`
}

// sendPage answers with an HTML page made in memory, whose entity tag is
// etag: 304 to a client that has it already, and compressed, the copy
// kept in d.gzips under key, to one that takes gzip.
func (d *docRoot) sendPage(w *response, req *request, key string, page []byte, etag string) {
	rep := representation{validators: validators{etag: etag}, contentType: "text/html; charset=utf-8"}
	if len(page) >= gzipMinSize {
		rep.negotiated = true
		var status int
		if rep, status = d.gzipPage(req, key, page, rep); status != 0 {
			refuse(w, status)
			return
		}
	}
	if status := preconditions(req, rep.validators); status != 0 {
		answerPrecondition(w, status, rep.cacheHeader())
		return
	}
	if rep.gzip {
		page = rep.gzCopy
	}
	writeResponse(w, 200, rep.contentType, page, rep.header()...)
}

// gzipPage makes a page the gzip representation, if the client takes it,
// as represent does a file: from the copy kept, or compressed now and
// kept, in a turn of its own; or it refuses, 406 or 503.
func (d *docRoot) gzipPage(req *request, key string, page []byte, rep representation) (representation, int) {
	useGzip, identityOK := negotiate(req)
	switch {
	case !useGzip && !identityOK:
		return rep, 406
	case !useGzip:
		return rep, 0
	}
	gz, compressing, busy := d.gzips.plan(key, rep.etag)
	switch {
	case busy && identityOK:
		return rep, 0
	case busy:
		return rep, 503
	case compressing:
		gz = gzipBytes(page)
		d.gzips.done()
		d.gzips.put(key, rep.etag, gz)
	}
	rep.gzip, rep.gzCopy, rep.etag = true, gz, gzipTag(rep.etag)
	return rep, 0
}

// makeListing makes the page that lists the entries of the folder name,
// opened as the root dir.
func (d *docRoot) makeListing(dir *os.Root, name string, names []string) ([]byte, error) {
	// Readdirnames returns names in the order the file system keeps them,
	// which is no order at all on most file systems.
	slices.Sort(names)
	var entries []listingEntry
	for _, n := range names {
		if strings.HasPrefix(n, ".") && !d.dotfiles {
			continue
		}
		// Lstat describes a symlink, not what it leads to. That we look
		// up through the whole root, as a click on the link would: a
		// link that leads out of the root fails, and is not listed.
		info, err := dir.Lstat(n)
		if err == nil && info.Mode()&fs.ModeSymlink != 0 {
			info, err = d.root.Stat(path.Join(name, n))
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

	return d.pages.execute("listing.html", struct {
		Path    string
		Entries []listingEntry
	}{"/" + strings.TrimPrefix(name+"/", "./"), entries})
}

// listingCache keeps each folder's page for a moment. Rendering is by far
// the costly part of a listing: html/template calls its escaping functions
// for every name, link, size and date, through reflection, and a
// 100-entry page costs ten times what Go's own http.FileServer spends on
// its bare list of names. A page is used again while it is less than
// listingTTL old and the folder's modification time is the same: adding,
// removing or renaming an entry changes the folder's time and so makes a
// new page at once; a file that grows in place shows its new size within
// listingTTL. That is the trade every cache makes: a bounded staleness for
// speed. Each docRoot has its own.
type listingCache struct {
	mu    sync.Mutex
	pages map[string]cachedListing // by folder name
}

const (
	listingTTL      = time.Second
	listingCacheMax = 256 // folders; past that the cache starts again empty
)

type cachedListing struct {
	modTime time.Time // the folder's, when the page was made
	made    time.Time
	page    []byte
	etag    string // pageTag(page)
}

func (c *listingCache) get(name string, modTime time.Time) ([]byte, string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.pages[name]
	if !ok || !e.modTime.Equal(modTime) || time.Since(e.made) > listingTTL {
		return nil, "", false
	}
	return e.page, e.etag, true
}

func (c *listingCache) put(name string, modTime time.Time, page []byte, etag string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pages == nil || len(c.pages) >= listingCacheMax {
		c.pages = map[string]cachedListing{}
	}
	c.pages[name] = cachedListing{modTime, time.Now(), page, etag}
}
