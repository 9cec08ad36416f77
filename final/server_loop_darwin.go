package main

import (
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// serveEventLoop: macOS has no epoll (its own is kqueue(2), another API
// again), so its event loops sleep in poll(2).
func (s *server) serveEventLoop(ln net.Listener) {
	fmt.Fprintln(os.Stderr, "eventloop: no epoll on macOS: the loops use poll(2), as -serve poll")
	s.servePoll(ln)
}

// acceptNonblocking accepts a connection and makes it non-blocking and
// close-on-exec (a CGI script must not inherit it). macOS has no accept4,
// so it takes three system calls; syscall.ForkLock keeps a CGI script
// from starting between the first and the last, as Go's own net package
// does.
func acceptNonblocking(lfd int) (int, unix.Sockaddr, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, sa, err := unix.Accept(lfd)
	if err != nil {
		return -1, nil, err
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, nil, err
	}
	return fd, sa, nil
}

// wakePipe makes the pipe that wakes a loop: a byte written into w[1]
// makes w[0] readable.
func wakePipe() (w [2]int, err error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	if err := unix.Pipe(w[:]); err != nil {
		return w, err
	}
	for _, fd := range w {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			return w, err
		}
	}
	return w, nil
}
