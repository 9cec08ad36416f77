//go:build !linux && !darwin

package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
)

// The event loops are written for Unix descriptors and poll(2), or
// Linux's epoll(7); Windows has I/O completion ports, another model
// again. Go's runtime speaks them all, which is what the goroutine mode
// gets for free. main refuses -serve eventloop and -serve poll here.
const loopsSupported = false

func (s *server) serveEventLoop(ln net.Listener) { s.noLoops() }

func (s *server) servePoll(ln net.Listener) { s.noLoops() }

func (s *server) noLoops() {
	fmt.Fprintf(os.Stderr, "eventloop: not supported on %s (Linux and macOS only)\n", runtime.GOOS)
}
