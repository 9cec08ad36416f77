package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// config is what the command line says.
type config struct {
	bind, dir, port, mode string
	cgi                   bool
	cgiTimeout            time.Duration
	cgiMax                int  // how many CGI scripts may run at once
	dotfiles              bool // serve and list names that start with "."
	idleTimeout           time.Duration
	headTimeout           time.Duration
	bodyTimeout           time.Duration
	sendTimeout           time.Duration
	panicRoute            bool // add /debug/panic, a handler that panics
}

func main() {
	cfg := parseFlags()
	s, site, err := newServer(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.bind, cfg.port))
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

	serveModes[cfg.mode](s, ln)
	site.cgi.killScripts()
	if !s.stopping.Load() {
		os.Exit(1) // it gave up on its own, and said why on stderr
	}
}

// parseFlags reads the command line, or exits with status 2 and a line
// that says what is wrong.
func parseFlags() config {
	var cfg config
	flag.StringVar(&cfg.bind, "bind", "127.0.0.1", "address to listen on (0.0.0.0: every network interface)")
	flag.StringVar(&cfg.dir, "dir", "web", "folder to serve files from (the document root)")
	flag.BoolVar(&cfg.cgi, "cgi", true, "run the programs in the folder cgi-bin/ as CGI scripts")
	flag.DurationVar(&cfg.cgiTimeout, "cgi-timeout", 10*time.Second, "how long a CGI script may run")
	flag.IntVar(&cfg.cgiMax, "cgi-max", cgiMaxDefault, "how many CGI scripts may run at once (more wait a second, then get 503)")
	flag.BoolVar(&cfg.dotfiles, "dotfiles", false, "serve and list files and folders whose names start with \".\" (.env, .git)")
	flag.DurationVar(&cfg.idleTimeout, "idle-timeout", 5*time.Second, "how long a connection may wait for its next request")
	flag.DurationVar(&cfg.headTimeout, "head-timeout", 10*time.Second, "how long a request's head may take to arrive")
	flag.DurationVar(&cfg.bodyTimeout, "body-timeout", 30*time.Second, "how long a request's body may take to arrive")
	flag.DurationVar(&cfg.sendTimeout, "send-timeout", 30*time.Second, "how long a client may take no byte of its answer")
	flag.StringVar(&cfg.mode, "serve", "goroutines", "how to serve connections: sequential, goroutines, eventloop or poll")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [-bind ADDR] [-dir DIR] [-cgi=false] [-cgi-timeout D] [-serve MODE] [PORT]\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	cfg.port = "8000"
	if flag.NArg() > 1 {
		flag.Usage()
		os.Exit(2)
	}
	if flag.NArg() == 1 {
		cfg.port = flag.Arg(0)
	}
	if n, err := strconv.Atoi(cfg.port); err != nil || n < 0 || n > 65535 {
		fmt.Fprintf(os.Stderr, "bad port %q: give a number from 0 to 65535 (0 lets the system pick one)\n", cfg.port)
		os.Exit(2)
	}
	if cfg.cgiMax < 1 {
		fmt.Fprintf(os.Stderr, "bad -cgi-max %d: give how many CGI scripts may run at once, 1 or more\n", cfg.cgiMax)
		os.Exit(2)
	}
	if _, ok := serveModes[cfg.mode]; !ok {
		fmt.Fprintf(os.Stderr, "bad -serve %q: give sequential, goroutines, eventloop or poll\n", cfg.mode)
		os.Exit(2)
	}
	if (cfg.mode == "eventloop" || cfg.mode == "poll") && !loopsSupported {
		fmt.Fprintf(os.Stderr, "%s: not supported on %s (Linux and macOS only): use -serve goroutines\n", cfg.mode, runtime.GOOS)
		os.Exit(2)
	}
	// A route that panics, for the tests that show the server survives a
	// bug. Read once, here: it is not something to switch on by accident.
	cfg.panicRoute = os.Getenv("WORKBOOK_PANIC_ROUTE") == "1"
	return cfg
}

// newServer puts the three layers together: the app's routes first, then
// the document root's files and scripts, all served by the server.
func newServer(cfg config) (*server, *docRoot, error) {
	// os.Root opens files only inside this folder: it refuses any name
	// that leads out of it, through ".." or through a symlink, even one
	// made after we checked the name.
	root, err := os.OpenRoot(cfg.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot serve folder %q: %v (run from the workbook root, or pass -dir DIR)", cfg.dir, errors.Unwrap(err))
	}
	dir, err := filepath.Abs(cfg.dir)
	if err != nil {
		return nil, nil, err
	}
	pages, err := loadPages()
	if err != nil {
		return nil, nil, err
	}
	site := &docRoot{root: root, pages: pages, dotfiles: cfg.dotfiles}
	routes := app{pages}.routes()
	if cfg.panicRoute {
		routes = append(routes, route{"/debug/panic", "GET, HEAD", crash})
	}
	r := &router{routes: routes, files: site}
	if cfg.cgi {
		site.cgi = newCGIRunner(cgiSettings{root: root, dir: dir, timeout: cfg.cgiTimeout, max: cfg.cgiMax, site: r})
	}
	s := &server{serverSettings: serverSettings{
		handler:     r,
		errorPage:   pages.errorPage,
		idleTimeout: cfg.idleTimeout,
		headTimeout: cfg.headTimeout,
		bodyTimeout: cfg.bodyTimeout,
		sendTimeout: cfg.sendTimeout,
		wantsBody:   r.wantsBody,
	}}
	return s, site, nil
}
