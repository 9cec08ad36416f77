package main

// Validators and preconditions (RFC 9110 §8.8, §13): what a client that
// has a copy sends back, to ask "only if it changed" (a cache
// revalidating: 304) or "only if it did not" (an editor saving over
// what it read, a download resuming: 412, or the whole file again).

import (
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// validators are what a conditional request is compared with: the
// entity tag and the modification date of the representation we would
// send. Either may be missing: a listing has no date, a route neither.
type validators struct {
	etag         string    // `"…"` (strong) or `W/"…"` (weak), quotes and all; "" for none
	lastModified time.Time // the zero time for none
}

// fileValidators are a file's: its modification time, and an entity tag
// made of that time (in nanoseconds) and the size, as nginx makes its own
// (in seconds): `"18a3f0c2b1e4d000-fa"`.
//
// Why not a hash of the content, which would change exactly when the
// bytes do? Because it costs reading the whole file, on every request or
// whenever it changes: a 304 for a 2 GB video would read 2 GB, where the
// size and the time come with the Stat we make anyway. The price: a file
// rewritten with the same size within one tick of the clock, or given
// back its old time (rsync -t, tar, touch -r), keeps its tag, and a
// client keeps its old copy. Two servers with copies of one site
// (behind a load balancer) give different tags for the same bytes, and
// clients download again what they have: Apache's tag has the inode
// number too, which made that worse.
func fileValidators(info fs.FileInfo) validators {
	var buf [40]byte
	tag := append(buf[:0], '"')
	tag = strconv.AppendInt(tag, info.ModTime().UnixNano(), 16)
	tag = append(tag, '-')
	tag = strconv.AppendInt(tag, info.Size(), 16)
	tag = append(tag, '"')
	return validators{etag: string(tag), lastModified: info.ModTime()}
}

// header lists the validators as header lines, for a 200, a 206 and a
// 304 alike.
func (v validators) header() []string {
	h := make([]string, 0, 5) // and room for what representation.header adds
	if !v.lastModified.IsZero() {
		h = append(h, "Last-Modified: "+v.lastModified.UTC().Format(timeFormat))
	}
	if v.etag != "" {
		h = append(h, "ETag: "+v.etag)
	}
	return h
}

// preconditions evaluates a request's preconditions in the order of RFC
// 9110 §13.2.2, against the validators of the representation we would
// send (so after choosing it: a gzip copy has a tag of its own). It
// returns 0 to go on, 304 Not Modified or 412 Precondition Failed.
//
// The tags decide before the dates: a date counts whole seconds, a tag
// names a version, so a client that sends both is asking about the tag,
// and the date is there for old caches that know no tags (§13.1.3,
// §13.1.4: a recipient MUST ignore the date then).
func preconditions(req *request, v validators) int {
	safe := req.method == "GET" || req.method == "HEAD"
	// Steps 1 and 2: "only if you still have the version I have". For a
	// change (PUT, DELETE) this prevents the lost update: two editors,
	// the second saving over the first's work unseen.
	if ifMatch := req.header["if-match"]; len(ifMatch) > 0 {
		if !matchTags(ifMatch, v.etag, false) {
			return 412
		}
	} else if t, ok := oneDate(req.header["if-unmodified-since"]); ok && !v.lastModified.IsZero() &&
		v.lastModified.Truncate(time.Second).After(t) {
		return 412
	}
	// Steps 3 and 4: "only if it changed since my copy": a cache
	// revalidating. For GET and HEAD the answer is 304, which tells the
	// client to use what it has; for a change, 412.
	if ifNoneMatch := req.header["if-none-match"]; len(ifNoneMatch) > 0 {
		if matchTags(ifNoneMatch, v.etag, true) {
			if !safe {
				return 412
			}
			return 304
		}
	} else if t, ok := oneDate(req.header["if-modified-since"]); ok && safe && !v.lastModified.IsZero() &&
		!v.lastModified.Truncate(time.Second).After(t) {
		return 304
	}
	return 0
}

// matchTags reports whether an If-Match or If-None-Match value names the
// tag: "*" names any representation there is (we are only asked about
// one that exists), a list names each of its tags. If-Match compares
// strongly (§8.8.3.2: both strong, and the same: a weak tag never
// matches, for it does not promise the same bytes), If-None-Match weakly
// (the same, W/ or not: for a cache, a copy that means the same is as
// good). A value that is not a list of tags matches nothing from where it
// goes wrong.
func matchTags(values []string, tag string, weak bool) bool {
	for _, v := range values {
		for rest := v; ; {
			rest = strings.TrimLeft(rest, " \t,")
			if rest == "" {
				break
			}
			if rest[0] == '*' {
				return true
			}
			t, after, ok := cutTag(rest)
			if !ok {
				break
			}
			if sameTag(t, tag, weak) {
				return true
			}
			rest = after
		}
	}
	return false
}

// cutTag cuts the entity tag at the start of s, `W/"x"` or `"x"`, from
// what follows it. The tag is read to its closing quote, not to a comma:
// a comma may be part of a tag (§8.8.3).
func cutTag(s string) (tag, rest string, ok bool) {
	start := 0
	if strings.HasPrefix(s, "W/") {
		start = 2
	}
	if len(s) <= start || s[start] != '"' {
		return "", "", false
	}
	end := strings.IndexByte(s[start+1:], '"')
	if end < 0 {
		return "", "", false
	}
	n := start + end + 2
	return s[:n], s[n:], true
}

// sameTag compares two entity tags, strongly or weakly (§8.8.3.2).
func sameTag(a, b string, weak bool) bool {
	if b == "" {
		return false // a page without a tag matches none
	}
	if weak {
		return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
	}
	return a == b && !strings.HasPrefix(a, "W/")
}

// ifRange reports whether a Range still applies (§13.1.5): If-Range says
// "the part I ask for, if the file is still the one I have the rest of;
// or else the whole of it". It holds an entity tag, compared strongly (a
// part of other bytes would make a corrupt whole), or a date, which must
// be exactly our Last-Modified.
func ifRange(req *request, v validators) bool {
	values := req.header["if-range"]
	switch {
	case len(values) == 0:
		return true
	case len(values) > 1:
		return false
	}
	// A tag starts with a quote or W/; a date never does (§13.1.5).
	if s := values[0]; strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "W/") {
		return sameTag(s, v.etag, false)
	}
	return !v.lastModified.IsZero() && values[0] == v.lastModified.UTC().Format(timeFormat)
}

// oneDate reads a header that holds one HTTP date. A header sent twice,
// or a value that is not a date (a list of dates is not one either), is
// ignored, as §13.1.3 and §13.1.4 say.
func oneDate(values []string) (time.Time, bool) {
	if len(values) != 1 {
		return time.Time{}, false
	}
	return parseHTTPDate(values[0])
}

// parseHTTPDate reads an HTTP date. We send only IMF-fixdate, but must
// read the two older formats too (RFC 9110 §5.6.7).
func parseHTTPDate(s string) (time.Time, bool) {
	for _, layout := range []string{timeFormat, "Monday, 02-Jan-06 15:04:05 GMT", "Mon Jan _2 15:04:05 2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// answerPrecondition sends the answer preconditions decided: a 412, or
// a 304 with no body, and of the headers of a 200 only those that tell a
// cache what it holds (§15.4.5): the validators, and Vary. Not the type,
// the length or Content-Encoding: the cache has those.
func answerPrecondition(w *response, status int, cacheHeader []string) {
	if status == 412 {
		sendError(w, 412)
		return
	}
	writeHead(w, 304, "", -1, cacheHeader...)
}
