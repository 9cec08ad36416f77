//go:build linux || darwin

package main

import (
	"net"

	"golang.org/x/sys/unix"
)

// servePoll serves ln with event loops that sleep in poll(2), which Linux
// and macOS both have.
func (s *server) servePoll(ln net.Listener) { s.serveLoops(ln, newPollSet) }

// pollSet is a poller on poll(2), the oldest of the readiness calls (with
// select(2), which the homework's server uses). The interest list is
// ours, in this program's memory: every wait hands the whole of it to the
// kernel, which looks at every descriptor and hands it back with what is
// ready marked; we then look at every entry to find those.
type pollSet struct {
	watched map[int]interest // the interest list
	fds     []unix.PollFd    // made from it for each wait
	ready   []int
}

// pollEvents says what to ask poll for, for each interest.
var pollEvents = [...]int16{toRead: unix.POLLIN, toWrite: unix.POLLOUT}

func newPollSet() (poller, error) {
	return &pollSet{watched: map[int]interest{}}, nil
}

func (p *pollSet) watch(fd int, was, want interest) error {
	if want == 0 {
		delete(p.watched, fd)
	} else {
		p.watched[fd] = want
	}
	return nil
}

func (p *pollSet) wait(timeout int) ([]int, error) {
	p.fds = p.fds[:0]
	for fd, want := range p.watched { // every descriptor, every time
		p.fds = append(p.fds, unix.PollFd{Fd: int32(fd), Events: pollEvents[want]})
	}
	_, err := unix.Poll(p.fds, timeout) // the kernel looks at each, marks the ready ones
	p.ready = p.ready[:0]
	for _, f := range p.fds {
		// Revents also says POLLHUP or POLLERR, asked for or not: the
		// read or write that follows will tell which.
		if err == nil && f.Revents != 0 {
			p.ready = append(p.ready, int(f.Fd))
		}
	}
	return p.ready, err
}

func (p *pollSet) close() {}
