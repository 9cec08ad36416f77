// A server that answers every request with a small HTML page, sent bare:
// no status line and no headers, only the page.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/fatih/color"
)

const (
	// maxLine is the longest line we accept, and the size of our read
	// buffer: a request line or header longer than this is an attack or a
	// bug, and without a limit it would grow in memory for ever.
	maxLine = 8 << 10
	// maxHead bounds the whole head: request line plus every header.
	maxHead = 32 << 10
	// timeout bounds a whole connection. This server serves one client at a
	// time, so a client that connects and says nothing (browsers open spare
	// connections "just in case") would otherwise block everybody else.
	timeout = 10 * time.Second
)

var errTooLarge = errors.New("request head too large")

// page is the whole reply. Without a status line first, it is not an HTTP
// response at all: each client decides what to make of it.
const page = `<!DOCTYPE html>
<html>
<head><title>Hello</title></head>
<body>
<h1>Hello, web!</h1>
<p>This page came from a Go program, written byte by byte to a TCP socket.</p>
</body>
</html>
`

func main() {
	bind := flag.String("bind", "127.0.0.1", "address to listen on (0.0.0.0: every network interface)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [-bind ADDR] [PORT]\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	port := "8000"
	if flag.NArg() > 1 {
		flag.Usage()
		os.Exit(2)
	}
	if flag.NArg() == 1 {
		port = flag.Arg(0)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		fmt.Fprintf(os.Stderr, "bad port %q: give a number from 0 to 65535 (0 lets the system pick one)\n", port)
		os.Exit(2)
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(*bind, port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Ctrl-C (SIGINT) or SIGTERM: a clean exit, status 0. Catch it before
	// saying we are ready: a Ctrl-C may come the moment we do.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-stop
		os.Exit(0)
	}()

	// Port 0 asks the kernel for any free port: print the one we really got.
	addr := ln.Addr().(*net.TCPAddr)
	link := "http://" + net.JoinHostPort(addr.IP.String(), strconv.Itoa(addr.Port)) + "/"
	fmt.Printf("Serving HTTP on %s port %d (%s) ...\n", addr.IP, addr.Port, link)

	for {
		conn, err := ln.Accept()
		if err != nil {
			// Accept fails for reasons that pass (too many open files, a
			// client that gave up): wait a little and go on.
			fmt.Fprintln(os.Stderr, "accept:", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		handle(conn)
	}
}

// handle serves one connection, from the first byte to the close.
func handle(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	r := bufio.NewReaderSize(conn, maxLine)

	head, err := readHead(r)
	printRequest(head)
	if err != nil {
		return
	}
	conn.Write([]byte(page))
}

// readHead reads the request head: every line up to and including the blank
// line that ends it (RFC 9112 §2.1). TCP delivers a stream of bytes, not
// messages: one Read may return half a line, or a line and a half, so we
// let bufio gather bytes until each '\n' instead of trusting one Read.
func readHead(r *bufio.Reader) ([]byte, error) {
	var head []byte
	for {
		line, err := r.ReadSlice('\n')
		head = append(head, line...)
		if errors.Is(err, bufio.ErrBufferFull) || len(head) > maxHead {
			return head, errTooLarge
		}
		if err != nil {
			return head, err // io.EOF: the client hung up mid-request
		}
		// Lines end in CRLF, but RFC 9112 §2.2 lets us accept a bare LF
		// too, which is what nc sends when you type a request by hand.
		if bytes.Equal(line, []byte("\r\n")) || bytes.Equal(line, []byte("\n")) {
			return head, nil
		}
	}
}

// printRequest shows a request exactly as it arrived: the request line
// highlighted, the headers dimmed.
func printRequest(head []byte) {
	if len(head) == 0 {
		return // a connection that closed without a byte (browsers do that)
	}
	line, rest, _ := bytes.Cut(head, []byte("\n"))
	color.New(color.Bold, color.FgCyan).Printf("%s\n", line)
	color.New(color.Faint).Printf("%s", rest)
}
