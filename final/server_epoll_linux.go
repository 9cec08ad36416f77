package main

// The epoll(7) poller, Linux's own, and what else the loops need that
// Linux does in one system call where others take two.

import (
	"net"

	"golang.org/x/sys/unix"
)

// maxEvents is how many ready descriptors one epoll_wait can report.
const maxEvents = 256

// serveEventLoop serves ln with event loops that sleep in epoll_wait.
func (s *server) serveEventLoop(ln net.Listener) { s.serveLoops(ln, newEpoll) }

// epoll keeps the interest list, the descriptors we watch and what for, in
// the kernel: epoll_ctl changes it, one descriptor at a time, and
// epoll_wait returns only the ready ones. poll(2) is told the whole list
// on every call, and looks at every descriptor on it: with 10,000 idle
// connections and one busy one, epoll's wait costs what the one costs,
// poll's what the 10,000 do.
type epoll struct {
	fd     int // the epoll instance
	events []unix.EpollEvent
	ready  []int
}

func newEpoll() (poller, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &epoll{fd: fd, events: make([]unix.EpollEvent, maxEvents)}, nil
}

// watch adds fd to the kernel's list, changes what it is watched for, or
// takes it out.
//
// We use epoll level-triggered (the default): as long as a socket has
// bytes to read, every epoll_wait reports it again. The handler reads at
// most readSize bytes a call, and whatever it left is reported next time.
// Edge-triggered (EPOLLET) reports only the change from "nothing" to
// "something": a loop using it must read until EAGAIN every time, or a
// connection with bytes left over is never reported again.
func (e *epoll) watch(fd int, was, want interest) error {
	op := unix.EPOLL_CTL_MOD
	switch {
	case was == want:
		return nil
	case was == 0:
		op = unix.EPOLL_CTL_ADD
	case want == 0:
		op = unix.EPOLL_CTL_DEL
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	if want == toWrite {
		ev.Events = unix.EPOLLOUT
	}
	return unix.EpollCtl(e.fd, op, fd, &ev)
}

func (e *epoll) wait(timeout int) ([]int, error) {
	n, err := unix.EpollWait(e.fd, e.events, timeout)
	e.ready = e.ready[:0]
	for _, ev := range e.events[:max(n, 0)] {
		e.ready = append(e.ready, int(ev.Fd))
	}
	return e.ready, err
}

func (e *epoll) close() { unix.Close(e.fd) }

// acceptNonblocking accepts a connection: accept4 makes the new socket
// non-blocking (and close-on-exec: a CGI script must not inherit it) in
// the same system call.
func acceptNonblocking(lfd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}

// wakePipe makes the pipe that wakes a loop: a byte written into w[1]
// makes w[0] readable.
func wakePipe() (w [2]int, err error) {
	err = unix.Pipe2(w[:], unix.O_NONBLOCK|unix.O_CLOEXEC)
	return w, err
}
