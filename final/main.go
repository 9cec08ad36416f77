// A static file server with CGI, written by hand over TCP: HTTP/1.1 with
// connections kept alive and pipelined requests, bodies by length or in
// chunks, conditional and range requests, folder listings, the calculated
// pages of stage 8 and CGI/1.1 scripts, from a document root no request can
// climb out of.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// shutdownGrace is how long requests in flight get to finish once we are
// told to stop.
const shutdownGrace = 3 * time.Second

// server holds what every connection needs: the settings, fixed once the
// server starts, and the connections it has open.
type server struct {
	root        *os.Root
	dir         string // the document root as an absolute path, for CGI
	cgi         bool
	cgiTimeout  time.Duration
	idleTimeout time.Duration // between two requests on a connection
	headTimeout time.Duration // for a request's head, from its first byte
	bodyTimeout time.Duration // for its body, from the end of the head

	stopping atomic.Bool // set once: answer what is in flight, take nothing new
	mu       sync.Mutex
	conns    map[net.Conn]bool
	scripts  map[*exec.Cmd]bool // the CGI scripts running
	wakers   []func()           // called by shutdown: how an event loop hears of it
}

// serveModes are the three ways to run handleConnection, for -serve. Each
// serves ln until shutdown.
var serveModes = map[string]func(s *server, ln net.Listener){
	"sequential": (*server).serveSequential, // one connection at a time
	"goroutines": (*server).acceptLoop,      // a goroutine per connection
	"eventloop":  (*server).eventLoop,       // one goroutine, epoll (eventloop_linux.go)
}

func main() {
	s := &server{conns: map[net.Conn]bool{}}
	bind := flag.String("bind", "127.0.0.1", "address to listen on (0.0.0.0: every network interface)")
	dir := flag.String("dir", "web", "folder to serve files from (the document root)")
	flag.BoolVar(&s.cgi, "cgi", true, "run the programs in the folder cgi-bin/ as CGI scripts")
	flag.DurationVar(&s.cgiTimeout, "cgi-timeout", 10*time.Second, "how long a CGI script may run")
	flag.DurationVar(&s.idleTimeout, "idle-timeout", 5*time.Second, "how long a connection may wait for its next request")
	flag.DurationVar(&s.headTimeout, "head-timeout", 10*time.Second, "how long a request's head may take to arrive")
	flag.DurationVar(&s.bodyTimeout, "body-timeout", 30*time.Second, "how long a request's body may take to arrive")
	mode := flag.String("serve", "goroutines", "how to serve connections: sequential, goroutines or eventloop")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [-bind ADDR] [-dir DIR] [-cgi=false] [-cgi-timeout D] [-serve MODE] [PORT]\n", os.Args[0])
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
	serve, ok := serveModes[*mode]
	if !ok {
		fmt.Fprintf(os.Stderr, "bad -serve %q: give sequential, goroutines or eventloop\n", *mode)
		os.Exit(2)
	}
	if *mode == "eventloop" && !eventLoopSupported {
		fmt.Fprintf(os.Stderr, "eventloop: not supported on %s (Linux only): use -serve goroutines\n", runtime.GOOS)
		os.Exit(2)
	}
	// os.Root opens files only inside this folder: it refuses any name
	// that leads out of it, through ".." or through a symlink, even one
	// made after we checked the name.
	root, err := os.OpenRoot(*dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot serve folder %q: %v (run from the workbook root, or pass -dir DIR)\n", *dir, errors.Unwrap(err))
		os.Exit(2)
	}
	s.root = root
	if s.dir, err = filepath.Abs(*dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// A route that panics, for the tests that show the server survives a
	// bug. Read once, here: it is not something to switch on by accident.
	if os.Getenv("WORKBOOK_PANIC_ROUTE") == "1" {
		routes = append(routes, panicRoute)
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(*bind, port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Ctrl-C (SIGINT) or SIGTERM: stop taking connections, let the
	// requests in flight finish, then exit with status 0. Catch it before
	// saying we are ready: a Ctrl-C may come the moment we do.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-stop
		s.shutdown(ln)
	}()

	// Port 0 asks the kernel for any free port: print the one we really got.
	addr := ln.Addr().(*net.TCPAddr)
	link := "http://" + net.JoinHostPort(addr.IP.String(), strconv.Itoa(addr.Port)) + "/"
	fmt.Printf("Serving HTTP on %s port %d (%s) ...\n", addr.IP, addr.Port, link)

	serve(s, ln)
	s.killScripts()
	if !s.stopping.Load() {
		os.Exit(1) // it gave up on its own, and said why on stderr
	}
}

// serveSequential is the blocking server of the sockets lecture: accept a
// connection, call the handler until it says to close, accept the next.
// While one client is served, the others wait in the kernel's queue of
// connections not yet accepted (the listen backlog).
func (s *server) serveSequential(ln net.Listener) {
	for {
		conn, ok := s.accept(ln)
		if !ok {
			return
		}
		s.serveConn(conn)
	}
}

// acceptLoop gives each connection a goroutine of its own until shutdown,
// then waits, for shutdownGrace at most, for the requests in flight. It is
// serveSequential with one word more: go (here wg.Go, which also counts
// the goroutines, so that we can wait for them).
func (s *server) acceptLoop(ln net.Listener) {
	var wg sync.WaitGroup
	for {
		conn, ok := s.accept(ln)
		if !ok {
			break
		}
		wg.Go(func() { s.serveConn(conn) })
	}

	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(shutdownGrace):
	}
}

// accept waits for the next connection. It reports false once shutdown has
// begun.
func (s *server) accept(ln net.Listener) (net.Conn, bool) {
	for delay := time.Duration(0); ; {
		conn, err := ln.Accept()
		if s.stopping.Load() {
			if err == nil {
				conn.Close()
			}
			return nil, false
		}
		if err == nil {
			return conn, true
		}
		// Accept fails for reasons that pass (too many open files, a
		// client that gave up): wait, longer each time, and go on.
		delay = min(max(2*delay, 5*time.Millisecond), time.Second)
		fmt.Fprintln(os.Stderr, "accept:", err)
		time.Sleep(delay)
	}
}

// shutdown stops the accept loop and wakes every connection waiting for a
// request, so that it closes; connections with a request in flight close
// once it is answered.
func (s *server) shutdown(ln net.Listener) {
	s.stopping.Store(true)
	ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for conn := range s.conns {
		conn.SetReadDeadline(time.Now())
	}
	for _, wake := range s.wakers {
		wake()
	}
}

// track adds a connection to the open ones, or removes it.
func (s *server) track(conn net.Conn, open bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if open {
		s.conns[conn] = true
	} else {
		delete(s.conns, conn)
	}
}
