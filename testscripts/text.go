package testscripts

// Small byte/text helpers shared by the commands and the transcripts:
// the escape syntax of send/expect/mkfile, printf quoting for "try it"
// lines, truncated %q, and carets under a wrong byte.

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// unescape turns a script argument into bytes. Scripts cannot hold raw CR or
// NUL bytes comfortably, so these escapes are recognised (and nothing else,
// so a typo is an error instead of a silent backslash):
//
//	\r  carriage return      \n  line feed        \t  tab
//	\\  one backslash        \0  NUL byte         \xNN  the byte 0xNN
func unescape(s string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+1 >= len(s) {
			return nil, fmt.Errorf("%q ends in a lone backslash (write \\\\ for a backslash)", s)
		}
		i++
		switch s[i] {
		case 'r':
			out = append(out, '\r')
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case '\\':
			out = append(out, '\\')
		case '0':
			out = append(out, 0)
		case 'x':
			if i+2 >= len(s) {
				return nil, fmt.Errorf("%q: \\x needs two hex digits", s)
			}
			n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, fmt.Errorf("%q: \\x needs two hex digits, not %q", s, s[i+1:i+3])
			}
			out = append(out, byte(n))
			i += 2
		default:
			return nil, fmt.Errorf(`%q: unknown escape \%c (known: \r \n \t \\ \0 \xNN)`, s, s[i])
		}
	}
	return out, nil
}

// printfArg quotes b as a single-quoted shell printf format that prints
// exactly b: printable ASCII stays, \r \n \t are spelled out, % is doubled,
// a single quote leaves and re-enters the quotes, anything else is octal
// \NNN (POSIX printf knows octal everywhere, \x only in some shells).
func printfArg(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('\'')
	for _, c := range b {
		switch {
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\\':
			sb.WriteString(`\\`)
		case c == '%':
			sb.WriteString(`%%`)
		case c == '\'':
			sb.WriteString(`'\''`)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, `\%03o`, c)
		}
	}
	sb.WriteByte('\'')
	return sb.String()
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Truncation limits for bytes shown in a transcript.
const (
	showHead = 300
	showTail = 100
)

// quoteTrunc is %q of b, cut to the first 300 and last 100 bytes when long,
// so that a transcript never dumps a whole image.
func quoteTrunc(b []byte) string {
	if len(b) <= showHead+showTail+20 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q … %q (%d bytes in all)", b[:showHead], b[len(b)-showTail:], len(b))
}

// clip shortens s to n bytes for a one-line message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// caretBlock shows data around offset off, one %q-quoted line per line of
// data (so CR and LF are visible), with a caret under the byte at off and
// msg after it. At most 6 lines before the wrong one are shown.
func caretBlock(data []byte, off int, msg string) []string {
	if off > len(data) {
		off = len(data)
	}
	// Split after every LF, keeping it, and find the line holding off.
	var lines [][]byte
	start, at := 0, -1
	for start < len(data) {
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start + 1
		}
		if at < 0 && off < end {
			at = len(lines)
		}
		lines = append(lines, data[start:end])
		start = end
	}
	if at < 0 { // off is at the very end of data: point after the last byte
		if len(lines) == 0 || bytes.HasSuffix(data, []byte("\n")) {
			lines = append(lines, nil)
		}
		at = len(lines) - 1
	}
	lineStart := 0
	for _, l := range lines[:at] {
		lineStart += len(l)
	}
	var out []string
	first := max(0, at-6)
	if first > 0 {
		out = append(out, fmt.Sprintf("  … (%d lines before)", first))
	}
	for _, l := range lines[first:at] {
		out = append(out, "  "+clip(strconv.Quote(string(l)), 120))
	}
	// The caret goes under the quoted form of the wrong byte: the width of
	// the quoted prefix, less its closing quote. A long line shows only a
	// window around it.
	pre, post := lines[at][:off-lineStart], lines[at][off-lineStart:]
	cut := ""
	if len(pre) > 60 {
		pre, cut = pre[len(pre)-60:], "…"
	}
	q := strconv.Quote(string(pre))
	q = cut + q[:len(q)-1]
	out = append(out, "  "+q+clip(strconv.Quote(string(post))[1:], 80))
	out = append(out, "  "+strings.Repeat(" ", utf8.RuneCountInString(q))+"^ "+msg)
	return out
}

// firstDiff returns the first offset where a and b differ, or -1 if equal.
func firstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) == len(b) {
		return -1
	}
	return n
}

// describeDiff explains how got differs from want without dumping either
// when they are big: lengths, the first differing offset, and a few bytes
// of context on each side.
func describeDiff(what string, want, got []byte) []string {
	off := firstDiff(want, got)
	if off < 0 {
		return nil
	}
	if len(want) <= 120 && len(got) <= 120 {
		return []string{
			fmt.Sprintf("expected %s %q", what, want),
			fmt.Sprintf("     got %s %q", what, got),
			fmt.Sprintf("they differ from byte %d on", off),
		}
	}
	window := func(b []byte) string {
		lo, hi := max(0, off-8), min(len(b), off+8)
		s := fmt.Sprintf("%q", b[lo:hi])
		if lo > 0 {
			s = "…" + s
		}
		if hi < len(b) {
			s += "…"
		}
		return s
	}
	return []string{
		fmt.Sprintf("expected %s of %d bytes, got %d bytes; they differ from byte %d on", what, len(want), len(got), off),
		fmt.Sprintf("  expected around byte %d: %s", off, window(want)),
		fmt.Sprintf("       got around byte %d: %s", off, window(got)),
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) []string {
	s = strings.TrimRight(s, "\r\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("… (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	raw := false
	for i, l := range lines {
		raw = raw || hasControls(l)
		lines[i] = printable(l)
	}
	if raw {
		lines = append(lines, "(␛, ␍ and the like stand for raw control bytes the server printed: ESC, CR, ...)")
	}
	return lines
}

// quoteLine quotes one line a server printed, for a transcript.
func quoteLine(s string) string { return strconv.Quote(clip(s, 200)) }

// printable shows s with every control byte (but tab) as its Unicode
// control picture ("␛" for ESC, "␍" for CR, "␀" for NUL, "␡" for DEL) and
// every byte that is not UTF-8 as "⟨0xNN⟩", so that nothing a server or a
// script sends can move the cursor or clear the student's terminal, and a
// raw ESC never looks like the four characters \x1b a correct server logs.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f || r == utf8.RuneError }) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, "⟨0x%02x⟩", s[i])
		case r < 0x20 && r != '\t':
			b.WriteRune(0x2400 + r)
		case r == 0x7f:
			b.WriteRune('␡')
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// hasControls reports whether printable would change s.
func hasControls(s string) bool { return printable(s) != s }

// isBinary reports whether b looks like binary data (an image) rather
// than text: a NUL byte, or bytes that are not UTF-8, in its first 512.
func isBinary(b []byte) bool {
	b = b[:min(len(b), 512)]
	if bytes.IndexByte(b, 0) >= 0 {
		return true
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 && len(b) >= utf8.UTFMax {
			return true
		}
		b = b[n:]
	}
	return false
}

// escapeControls writes the control bytes of b but CR, LF and tab as
// \xNN, so that a response logged with -v cannot drive the terminal.
func escapeControls(b []byte) []byte {
	if bytes.IndexFunc(b, func(r rune) bool { return r < 0x20 && r != '\r' && r != '\n' && r != '\t' || r == 0x7f }) < 0 {
		return b
	}
	var out []byte
	for _, c := range b {
		if c < 0x20 && c != '\r' && c != '\n' && c != '\t' || c == 0x7f {
			out = fmt.Appendf(out, `\x%02x`, c)
		} else {
			out = append(out, c)
		}
	}
	return out
}
