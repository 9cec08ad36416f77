// A static file server with CGI, written by hand over TCP: HTTP/1.1 with
// connections kept alive and pipelined requests, bodies by length or in
// chunks, conditional and range requests, folder listings, the calculated
// pages of stage 8 and CGI/1.1 scripts, from a document root no request can
// climb out of.
//
// It is built in three layers, each using only the one below it:
//
//	app        app.go, main.go     stage 8's pages; the command line, which puts the layers together
//	framework  framework*.go       the route table, pages from templates, files, listings, CGI
//	server     server*.go          connections, HTTP/1.1 framing, the serving modes
//
// They meet in one place: the server calls a handler (below) for every
// request, and everything above it is written in that shape.
package main

import (
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// shutdownGrace is how long requests in flight get to finish once we are
// told to stop, in every mode: a download to a slow client, or a CGI
// script, may take minutes, and whoever stops a server expects it gone in
// seconds.
const shutdownGrace = 3 * time.Second

// handler answers one request: it writes the answer to w, with writeHead
// and Write, writeResponse, sendFile or sendError. It is the one shape of
// everything above the server, pages, files and scripts alike, as Go's
// net/http has Handler. It returns nothing: the status is the one it sent,
// which w keeps, and the access log reads it there.
type handler interface {
	serveHTTP(w *response, req *request)
}

// handlerFunc makes a function a handler, as http.HandlerFunc does.
type handlerFunc func(w *response, req *request)

func (f handlerFunc) serveHTTP(w *response, req *request) { f(w, req) }

// serverSettings are fixed before the server starts.
type serverSettings struct {
	handler     handler                                  // answers every request for a path
	errorPage   func(status int, location string) []byte // the HTML page sendError sends
	idleTimeout time.Duration                            // between two requests on a connection
	headTimeout time.Duration                            // for a request's head, from its first byte
	bodyTimeout time.Duration                            // for its body, from the end of the head
	sendTimeout time.Duration                            // for an answer to move at all: no byte taken for this long
	// wantsBody says, from a request's head, whether the handler will
	// read its body (nil: every body is read). One that nobody will read
	// is thrown away as it arrives, never held in memory.
	wantsBody func(req *request) bool
}

// server is the bottom layer: it takes connections, reads requests off
// them, calls its handler for each, and sends the answers back, HTTP/1.1
// framing and all. Its settings are fixed before it starts; the fields
// below them are what changes while it runs.
type server struct {
	serverSettings

	stopping atomic.Bool // set once: answer what is in flight, take nothing new
	mu       sync.Mutex
	conns    map[net.Conn]bool // the blocking modes' open connections
	wakers   []func()          // called by shutdown: how an event loop hears of it
	stop     chan struct{}     // closed by shutdown; made by stopped, or by shutdown
}

// serveModes are the ways to run handleConnection, for -serve. Each serves
// ln until shutdown.
var serveModes = map[string]func(s *server, ln net.Listener){
	"sequential": (*server).serveSequential, // one connection at a time
	"goroutines": (*server).serveGoroutines, // a goroutine per connection
	"eventloop":  (*server).serveEventLoop,  // a loop per core, on epoll (on poll where there is no epoll)
	"poll":       (*server).servePoll,       // a loop per core, on poll(2)
}

// serveSequential is the blocking server of the sockets lecture: accept a
// connection, serve it until it closes, accept the next. While one client
// is served, the others wait in the kernel's queue of connections not yet
// accepted (the listen backlog).
//
// The loop runs on a goroutine of its own for one reason: shutdown. It
// may be in the middle of a big file for a slow client, or waiting for a
// CGI script, for minutes; this goroutine waits for it once shutdown has
// begun, but for shutdownGrace at most, as the other modes do.
func (s *server) serveSequential(ln net.Listener) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, ok := s.accept(ln)
			if !ok {
				return
			}
			s.handle(conn)
		}
	})
	<-s.stopped()
	waitGrace(&wg)
}

// serveGoroutines gives each connection a goroutine of its own until
// shutdown, then waits, for shutdownGrace at most, for the requests in
// flight. It is serveSequential with one word more: go (here wg.Go, which
// also counts the goroutines, so that we can wait for them).
func (s *server) serveGoroutines(ln net.Listener) {
	var wg sync.WaitGroup
	for {
		conn, ok := s.accept(ln)
		if !ok {
			break
		}
		wg.Go(func() { s.handle(conn) })
	}
	waitGrace(&wg)
}

// waitGrace waits until the goroutines wg counts have ended, or for
// shutdownGrace, whichever comes first. Those still running then are left
// behind: main exits, and they end with the process.
func waitGrace(wg *sync.WaitGroup) {
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
	if s.stop == nil {
		s.stop = make(chan struct{})
	}
	select {
	case <-s.stop: // a second call
	default:
		close(s.stop)
	}
	for conn := range s.conns {
		conn.SetReadDeadline(time.Now())
	}
	for _, wake := range s.wakers {
		wake()
	}
}

// stopped returns a channel that shutdown closes.
func (s *server) stopped() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop == nil {
		s.stop = make(chan struct{})
	}
	return s.stop
}

// track adds a connection to the open ones, or removes it.
func (s *server) track(conn net.Conn, open bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		s.conns = map[net.Conn]bool{}
	}
	if open {
		s.conns[conn] = true
	} else {
		delete(s.conns, conn)
	}
}
