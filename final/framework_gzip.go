package main

// Compression (RFC 9110 §8.4, §12.5.3): text shrinks to a third or less
// in gzip, and a page arrives in fewer round trips. A client says what it
// can decode in Accept-Encoding; we answer in gzip when it takes it, and
// say so in Content-Encoding. The compressed answer is another
// representation of the same resource, with an entity tag of its own.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
)

const (
	// gzipMinSize: below a few hundred bytes, gzip's header and trailer
	// (18 bytes) and its block of codes eat most of what it saves, and
	// a tiny file can come out bigger.
	gzipMinSize = 256
	// gzipCacheFile: a file up to this size is compressed once and the
	// copy kept (gzipCache); a bigger one as it is sent, every time.
	gzipCacheFile = 256 << 10
	// gzipCacheMax bounds the copies kept, all files together.
	gzipCacheMax = 8 << 20
	// gzipAtOnce bounds the compressions running at once. Each holds a
	// compressor, its tables and window, some 1 MiB, for as long as it
	// runs: a big file to a slow client, minutes. Unbounded, a few
	// hundred clients asking for big text files in gzip would hold
	// hundreds of megabytes; bounded, the next one gets the file as it
	// is, for compression is a favour to the client, not a promise.
	gzipAtOnce = 4
)

// compressible reports whether a type is worth compressing: text, and
// the formats of text that don't say so in their type. PNG, JPEG, MP4,
// ZIP and WOFF2 are compressed already: gzip would win nothing, for the
// CPU it costs.
func compressible(contentType string) bool {
	t, _, _ := strings.Cut(contentType, ";")
	switch t {
	case "application/json", "application/xml", "image/svg+xml", "application/wasm":
		return true
	}
	return strings.HasPrefix(t, "text/")
}

// negotiate decides, from Accept-Encoding, whether to send a
// representation that can be compressed in gzip (§12.5.3), and whether
// the client takes the bytes as they are (identity). When it takes
// neither: 406 Not Acceptable.
//
// Each coding has a weight, q, from 0 (never) to 1 (the default): "gzip,
// identity;q=0.5" prefers gzip, "gzip;q=0" refuses it. "*" stands for
// every coding the field does not name, "identity" for no coding at all,
// which is acceptable unless refused by name or by "*;q=0". Where gzip
// weighs as much as identity, gzip: it is smaller.
func negotiate(req *request) (useGzip, identityOK bool) {
	values := req.header["accept-encoding"]
	if len(values) == 0 {
		// No Accept-Encoding: the RFC lets us pick any coding, but a
		// client that said nothing (nc, curl without --compressed, an old
		// program) may not decode one. Every server sends the bytes as
		// they are.
		return false, true
	}
	gz, identity, star := -1.0, -1.0, -1.0 // -1: not named
	for _, member := range headerList(values) {
		coding, params, _ := strings.Cut(member, ";")
		q, valid := qValue(params)
		if !valid {
			continue
		}
		switch strings.TrimSpace(coding) {
		case "gzip", "x-gzip": // x-gzip is the old name (§8.4.1.3)
			gz = q
		case "identity":
			identity = q
		case "*":
			star = q
		}
	}
	if gz < 0 {
		gz = max(star, 0)
	}
	switch {
	case identity < 0 && star >= 0:
		identity = star
	case identity < 0:
		identity = 0.0001 // not named, not refused: acceptable, but a named coding first
	}
	return gz > 0 && gz >= identity, identity > 0
}

// qValue reads a member's parameters, "" or ";q=0.5", for its weight: 1
// when there is none. A weight that is not a qvalue makes the member
// invalid, and it is skipped.
func qValue(params string) (float64, bool) {
	q := 1.0
	for _, p := range strings.Split(params, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		value = strings.TrimSpace(value)
		if !isQValue(value) {
			return 0, false
		}
		q, _ = strconv.ParseFloat(value, 64)
	}
	return q, true
}

// isQValue reports whether v is a weight as RFC 9110 §12.4.2 spells one:
// 0 or 1, with at most three decimals, none above 1 ("0", "0.25", "1.000").
// Not what else ParseFloat reads: "nan", "1e-3", "0x1p-1", "+.5".
func isQValue(v string) bool {
	whole, frac, _ := strings.Cut(v, ".")
	if len(frac) > 3 || strings.Trim(frac, "0123456789") != "" {
		return false
	}
	return whole == "0" || whole == "1" && strings.Trim(frac, "0") == ""
}

// gzipTag is the entity tag of a copy we compress ourselves: the file's
// (or the page's) with "-gz", and weak (W/). The copy has the same
// content, but its bytes are whatever our compressor makes, and another
// Go version may make others: a strong tag would promise the bytes.
func gzipTag(tag string) string {
	return "W/" + strings.TrimSuffix(tag, `"`) + `-gz"`
}

// gzipBytes compresses p, for a copy that is kept and sent many times.
func gzipBytes(p []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(p)
	zw.Close()
	return b.Bytes()
}

// streamGzip sends a big file compressed as it goes out: in chunks, for
// its length is known only at the end, and at gzip's fastest level, for
// this is done for every request. It takes as long as compressing the
// file: in an event loop, the connection gets a goroutine of its own
// first, as for a CGI script. A HEAD gets the same head, and nothing is
// compressed.
func streamGzip(w *response, f *os.File, size int64, rep representation) {
	if !w.noBody {
		w.conn.blocking()
	}
	writeHead(w, 200, rep.contentType, -1, rep.header()...)
	if w.noBody {
		return
	}
	// The compressor writes a few hundred bytes at a time: a buffer makes
	// them chunks of 32 KiB, rather than a chunk and a system call each.
	buf := bufio.NewWriterSize(w, 32<<10)
	zw, _ := gzip.NewWriterLevel(buf, gzip.BestSpeed)
	// The size of the Stat, as sendFile sends: the entity tag names this
	// size, and a file that shrinks under us must not end in a last chunk
	// that says the answer is whole.
	n, err := io.Copy(zw, io.LimitReader(f, size))
	if err == nil && n < size {
		err = io.ErrUnexpectedEOF
	}
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = buf.Flush()
	}
	if err != nil {
		w.abort() // without its last chunk, the client can tell it is cut
	}
}

// gzipCache keeps compressed copies of small files and of listings, each
// as long as the entity tag of what it was made from stays the same: for
// a file, its size and modification time. Compressing 1 KiB costs more
// than sending it; sending a copy made before costs nothing more. The
// copies are bounded in all (gzipCacheMax): past that, copies picked at
// random make room, which needs no record of which was used last. It
// also counts the compressions running (gzipAtOnce). Each docRoot has its
// own.
type gzipCache struct {
	mu      sync.Mutex
	copies  map[string]gzipCopy // by file name; a listing by its folder's name and "/"
	size    int                 // bytes of all the copies
	running int                 // compressions running now
}

type gzipCopy struct {
	version string // the entity tag of what was compressed
	gz      []byte
}

// get returns the copy of key, if it was made from this version.
func (c *gzipCache) get(key, version string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp, ok := c.copies[key]
	return cp.gz, ok && cp.version == version
}

// put keeps a copy of key, made from version.
func (c *gzipCache) put(key, version string, gz []byte) {
	if len(gz) > gzipCacheMax {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.copies == nil {
		c.copies = map[string]gzipCopy{}
	}
	c.size -= len(c.copies[key].gz)
	delete(c.copies, key)
	for k, cp := range c.copies { // Go visits a map in random order
		if c.size+len(gz) <= gzipCacheMax {
			break
		}
		c.size -= len(cp.gz)
		delete(c.copies, k)
	}
	c.copies[key] = gzipCopy{version, gz}
	c.size += len(gz)
}

// plan says how a compressed answer for key, made from version, can be
// made: from the copy kept (gz), or by compressing now, which takes one
// of gzipAtOnce turns (compressing: call done when it is over). busy: no
// copy, and no turn free.
func (c *gzipCache) plan(key, version string) (gz []byte, compressing, busy bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cp, ok := c.copies[key]; ok && cp.version == version {
		return cp.gz, false, false
	}
	if c.running >= gzipAtOnce {
		return nil, false, true
	}
	c.running++
	return nil, true, false
}

// done gives back the turn plan took.
func (c *gzipCache) done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running--
}
