package main

// Range requests (RFC 9110 §14): part of a file, to resume a download or
// to seek in a video; several parts in one answer, multipart/byteranges.

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// maxRanges is how many ranges one request may ask for. A PDF viewer asks
// for a few; more is a broken client or an attack (below).
const maxRanges = 16

// boundaryCheckMax is how many bytes of parts pickBoundary reads, at
// most, to make sure its boundary is in none of them.
const boundaryCheckMax = 64 << 10

// byteRange is a part of a file: its first and its last byte.
type byteRange struct{ first, last int64 }

func (r byteRange) length() int64 { return r.last - r.first + 1 }

// contentRange is the Content-Range of a part of a file of size bytes.
func contentRange(r byteRange, size int64) string {
	return "Content-Range: bytes " + strconv.FormatInt(r.first, 10) + "-" + strconv.FormatInt(r.last, 10) +
		"/" + strconv.FormatInt(size, 10)
}

// parseRanges reads a Range header, "bytes=0-99", "bytes=100-", "bytes=-100"
// (the last 100 bytes) or a list of these, "bytes=0-99,200-299", for a
// file of size bytes (RFC 9110 §14.1.2). It returns 206 and the ranges
// that have a byte in the file, in the order asked; 416 when none has; or
// 200 and no ranges, to send the whole file: a server may ignore a Range
// (§14.2), and we do when it is not one we understand, or when it would
// cost more than the whole file.
func parseRanges(h string, size int64) (int, []byteRange) {
	unit, set, ok := strings.Cut(h, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return 200, nil
	}
	specs := headerList([]string{set})
	// A few bytes of header must not make us send a file many times
	// over: "bytes=0-,0-,0-,…" is the whole file again for every 3 bytes
	// asked, and a thousand small ranges each cost a part's head. Apache
	// learnt it from an attack (CVE-2011-3192, "Apache Killer"). §14.2
	// lets a server ignore such a Range: too many ranges, or ranges that
	// add up to more than the file (overlapping ones), get the whole file.
	if len(specs) == 0 || len(specs) > maxRanges {
		return 200, nil
	}
	var ranges []byteRange
	var total int64
	for _, spec := range specs {
		r, valid, satisfiable := parseRangeSpec(spec, size)
		if !valid {
			return 200, nil
		}
		if satisfiable {
			ranges = append(ranges, r)
			total += r.length()
		}
	}
	switch {
	case len(ranges) == 0:
		return 416, nil
	case total > size:
		return 200, nil
	}
	return 206, ranges
}

// parseRangeSpec reads one range of a Range header. A range is valid if
// it is written right, and satisfiable if it has a byte in the file: a
// range that starts past the end is valid but asks for nothing.
func parseRangeSpec(spec string, size int64) (r byteRange, valid, satisfiable bool) {
	from, to, ok := strings.Cut(spec, "-")
	if !ok {
		return r, false, false
	}
	if from == "" {
		n, ok := rangeNumber(to)
		if !ok {
			return r, false, false
		}
		if n == 0 || size == 0 {
			return r, true, false
		}
		return byteRange{max(0, size-n), size - 1}, true, true
	}
	first, ok := rangeNumber(from)
	if !ok {
		return r, false, false
	}
	last := size - 1
	if to != "" {
		n, ok := rangeNumber(to)
		if !ok || n < first {
			return r, false, false
		}
		last = min(n, size-1)
	}
	if first >= size {
		return r, true, false
	}
	return byteRange{first, last}, true, true
}

// rangeNumber reads a byte position: digits only. A number too large for
// an int64 is larger than any file, and counts as the largest int64.
func rangeNumber(s string) (int64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		n = math.MaxInt64
	}
	return n, true
}

// sendParts answers a Range of several ranges with one body of several
// parts (§14.6), each with its own Content-Type and Content-Range, a line
// with the boundary before each, and one after the last:
//
//	--BOUNDARY
//	Content-Type: text/plain; charset=utf-8
//	Content-Range: bytes 0-1/26
//
//	ab
//	--BOUNDARY
//	...
//	--BOUNDARY--
//
// Every part's length is known, so the body's is too: it goes out with a
// Content-Length, the parts by sendfile(2).
func sendParts(w *response, f *os.File, contentType string, size int64, ranges []byteRange, header []string) {
	boundary, err := pickBoundary(f, ranges, rand.Text)
	if err != nil {
		sendError(w, 500)
		return
	}
	heads := make([]string, len(ranges))
	var length int64
	for i, r := range ranges {
		heads[i] = "--" + boundary + "\r\nContent-Type: " + contentType + "\r\n" + contentRange(r, size) + "\r\n\r\n"
		if i > 0 {
			heads[i] = "\r\n" + heads[i] // the CRLF before a boundary is part of it (RFC 2046 §5.1.1)
		}
		length += int64(len(heads[i])) + r.length()
	}
	tail := "\r\n--" + boundary + "--\r\n"
	length += int64(len(tail))
	writeHead(w, 206, "multipart/byteranges; boundary="+boundary, length, header...)
	for i, r := range ranges {
		w.Write([]byte(heads[i]))
		if _, err := f.Seek(r.first, io.SeekStart); err != nil {
			w.abort()
			return
		}
		w.sendFile(f, r.length())
	}
	w.Write([]byte(tail))
}

// pickBoundary picks the line between the parts: one that occurs in none
// of them, for a part that held it would end there (RFC 2046 §5.1.1).
// nginx counts, "00000000000000000001", and a file can hold the next one.
// Ours is random, 130 bits (crypto/rand's Text), drawn after the request
// came: nobody can put it in a file ahead of time, and by chance it will
// all but never be there. We make sure, by reading the parts, when they
// add up to boundaryCheckMax or less; not past that, for then a request
// of 60 bytes ("bytes=0-0,1-") would have us read a file of gigabytes
// before the first byte of the answer, and hold up an event loop meanwhile.
func pickBoundary(f io.ReaderAt, ranges []byteRange, random func() string) (string, error) {
	var total int64
	for _, r := range ranges {
		total += r.length()
	}
	if total > boundaryCheckMax {
		return random(), nil
	}
	for range 8 {
		b := random()
		found, err := occursIn(f, ranges, []byte(b))
		if err != nil || !found {
			return b, err
		}
	}
	return "", errors.New("every boundary tried occurs in the file")
}

// occursIn reports whether b occurs in any of the ranges of f. It reads
// each in pieces that overlap by len(b)-1 bytes, so that it finds b where
// b straddles two pieces too.
func occursIn(f io.ReaderAt, ranges []byteRange, b []byte) (bool, error) {
	buf := make([]byte, 32<<10)
	for _, r := range ranges {
		for off := r.first; ; {
			n := min(int64(len(buf)), r.last-off+1)
			if _, err := f.ReadAt(buf[:n], off); err != nil {
				return false, err
			}
			if bytes.Contains(buf[:n], b) {
				return true, nil
			}
			if off+n > r.last {
				break
			}
			off += n - int64(len(b)-1)
		}
	}
	return false, nil
}
