// The echo server's client. It looks up the server's name, tries each of
// its addresses until one answers, sends lines (its arguments, or what it
// reads from stdin) and prints what comes back.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	host := flag.String("host", "localhost", "the server's name or address")
	port := flag.String("port", "8000", "the server's port")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [-host HOST] [-port PORT] [LINE...]\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()

	// A name has addresses: "localhost" usually has two, ::1 (IPv6) and
	// 127.0.0.1 (IPv4). LookupHost does what C's getaddrinfo() does (Go
	// may even call it): /etc/hosts first, then DNS. An address given as
	// the name comes back as it is.
	addrs, err := net.LookupHost(*host)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "%s is %s\n", *host, strings.Join(addrs, ", "))

	// Try them in order until one answers, as the C idiom around
	// getaddrinfo does: a server listening on 127.0.0.1 alone refuses ::1.
	// net.Dial("tcp", "localhost:8000") does this loop for you (and with
	// both IPv6 and IPv4 addresses, it starts the second family 300 ms
	// after the first instead of waiting for it to fail: "Happy
	// Eyeballs", RFC 8305).
	var conn net.Conn
	for _, a := range addrs {
		addr := net.JoinHostPort(a, *port) // "[::1]:8000", "127.0.0.1:8000"
		fmt.Fprintf(os.Stderr, "trying %s ... ", addr)
		conn, err = net.DialTimeout("tcp", addr, 5*time.Second)
		if err == nil {
			fmt.Fprintln(os.Stderr, "connected")
			break
		}
		fmt.Fprintln(os.Stderr, err)
	}
	if conn == nil {
		fmt.Fprintf(os.Stderr, "no address of %s answered on port %s\n", *host, *port)
		os.Exit(1)
	}
	defer conn.Close()

	// Print what comes back, as it comes, until the server closes.
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(os.Stdout, conn)
		done <- err
	}()

	if flag.NArg() > 0 {
		for _, line := range flag.Args() {
			if _, err = fmt.Fprintf(conn, "%s\n", line); err != nil {
				break
			}
		}
	} else {
		_, err = io.Copy(conn, os.Stdin) // typed lines go out as Enter sends them
	}
	// Half-close: "I have nothing more to send" (shutdown(SHUT_WR) in C).
	// The server reads EOF once it has read our last line, and hangs up
	// after answering it; we keep reading until then.
	conn.(*net.TCPConn).CloseWrite()
	if rerr := <-done; err == nil {
		err = rerr
	}
	if err != nil {
		// The server hung up before it had read all we sent: a write
		// fails (it is closed), or a read (with bytes of ours unread, the
		// kernel answers with a reset). Which one sees it first depends
		// on how far each had come.
		fmt.Fprintln(os.Stderr, "the connection broke:", err)
		os.Exit(1)
	}
}
