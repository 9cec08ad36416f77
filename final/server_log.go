package main

import (
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/fatih/color"
)

// logRequest prints one line per request, in the format of Python's
// http.server (the Common Log Format, less the size):
//
//	127.0.0.1 - - [22/Nov/2026 01:22:04] "GET /index.html HTTP/1.1" 200 -
//
// The connection writes it to the console (conn.log): at once, or, in an
// event loop, with the other lines of the loop's turn.
func logRequest(conn Conn, req *request, status int) {
	host, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
	now := time.Now().Format("02/Jan/2006 15:04:05")
	// strconv.Quote escapes control characters: a request line holding
	// terminal escape codes could otherwise rewrite the console.
	conn.log(fmt.Appendf(nil, "%s - - [%s] %s %s -\n", host, now, strconv.Quote(req.line), statusColor(status).Sprint(status)))
}

// statusColor picks a colour by status class, so errors stand out.
func statusColor(status int) *color.Color {
	switch {
	case status >= 500:
		return color.New(color.FgRed)
	case status >= 400:
		return color.New(color.FgYellow)
	case status >= 300:
		return color.New(color.FgCyan)
	}
	return color.New(color.FgGreen)
}

// logPanic prints a handler's panic and where it happened, for the
// programmer who has a bug to fix.
func logPanic(req *request, v any) {
	fmt.Fprintf(os.Stderr, "panic serving %s: %v\n%s", strconv.Quote(req.line), v, debug.Stack())
}
