//go:build !linux

package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
)

// The event loop is written with epoll(7), which is Linux's own: macOS and
// the BSDs have kqueue(2), Windows has I/O completion ports, each a
// different API. Go's runtime speaks all three, which is what the
// goroutine mode gets for free. main refuses -serve eventloop here.
const eventLoopSupported = false

func (s *server) eventLoop(ln net.Listener) {
	fmt.Fprintf(os.Stderr, "eventloop: not supported on %s (Linux only)\n", runtime.GOOS)
}
