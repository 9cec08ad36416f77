// A server that adds: a client sends two whole numbers on a line, "3 4",
// and gets their sum back, "7", line after line, until it hangs up. Each
// client gets a goroutine of its own, so that one client who keeps its
// connection open does not keep the others waiting.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fatih/color"
)

const (
	// maxLine is the longest line we accept, newline included, and the
	// size of our read buffer: a client that sends bytes and never a
	// newline would otherwise make us keep them all in memory.
	maxLine = 8 << 10
	// idle is how long a client may stay silent before we hang up: an open
	// connection holds a goroutine and a socket on our side.
	idle = 5 * time.Minute
)

func main() {
	bind := flag.String("bind", "127.0.0.1", "address to listen on (::1 for IPv6, 0.0.0.0 for every network interface)")
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

	// JoinHostPort writes an IPv6 address in brackets ("[::1]:8000"):
	// without them its colons would run into the port's.
	ln, err := net.Listen("tcp", net.JoinHostPort(*bind, port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Ctrl-C (SIGINT) or SIGTERM: a clean exit, status 0, even while
	// clients are connected. Catch it before saying we are ready.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-stop
		os.Exit(0)
	}()

	// Port 0 asks the kernel for any free port: print the one we really got.
	addr := ln.Addr().(*net.TCPAddr)
	fmt.Printf("Serving TCP on %s port %d ...\n", addr.IP, addr.Port)

	for {
		conn, err := ln.Accept()
		if err != nil {
			// Accept fails for reasons that pass (too many open files, a
			// client that gave up): wait a little and go on.
			fmt.Fprintln(os.Stderr, "accept:", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		// An echo conversation lasts as long as the client likes. Served
		// one at a time, the next client would wait for this one to hang
		// up; with `go`, handle runs on its own goroutine and the loop is
		// back at Accept at once.
		go handle(conn)
	}
}

// handle serves one client: a line in, its sum (or an error line) out,
// until the client hangs up (or goes silent, or sends a line that is too
// long).
func handle(conn net.Conn) {
	defer conn.Close()
	who := conn.RemoteAddr().String() // "127.0.0.1:53312": the client's port, picked by its kernel
	color.Green("%s connected", who)
	// TCP delivers a stream of bytes, not lines: one Read may return half a
	// line, or a line and a half. bufio gathers the bytes up to each '\n'.
	// ReadSlice fails with ErrBufferFull when maxLine bytes came without a
	// newline; ReadString('\n') would keep growing instead.
	r := bufio.NewReaderSize(conn, maxLine)
	for {
		conn.SetReadDeadline(time.Now().Add(idle))
		line, err := r.ReadSlice('\n')
		if err != nil {
			bye(who, err)
			return
		}
		if _, err := conn.Write(sum(line)); err != nil {
			bye(who, err)
			return
		}
	}
}

// bye tells the console how a connection ended.
func bye(who string, err error) {
	switch {
	case errors.Is(err, io.EOF):
		color.New(color.Faint).Printf("%s closed\n", who) // the client hung up: the normal end
	case errors.Is(err, bufio.ErrBufferFull):
		color.Yellow("%s sent a line longer than %d bytes: hanging up", who, maxLine)
	default:
		color.Yellow("%s: %v: hanging up", who, err) // silent too long, or reset
	}
}

// sum answers a line of two whole numbers with their sum, and any other
// line with an error line; either way the client may go on. The numbers
// are math/big's, which have no limit but the line's: Go's int has 64
// bits, and 9223372036854775807 + 1 would wrap around to
// -9223372036854775808 without a word. (Python's int has no limit either.)
func sum(line []byte) []byte {
	// Fields splits at spaces and tabs, and drops the line end: "\r\n"
	// from telnet as well as "\n" from nc.
	f := strings.Fields(string(line))
	var a, b big.Int
	if len(f) != 2 {
		return []byte("error: want two whole numbers, like \"3 4\"\n")
	}
	if _, ok := a.SetString(f[0], 10); !ok {
		return fmt.Appendf(nil, "error: %q is not a whole number\n", f[0])
	}
	if _, ok := b.SetString(f[1], 10); !ok {
		return fmt.Appendf(nil, "error: %q is not a whole number\n", f[1])
	}
	return fmt.Appendf(nil, "%s\n", a.Add(&a, &b))
}
