//go:build unix

package main

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// waitForBytes waits until the client has sent a byte (or closed, or
// the deadline has passed), holding no buffer: it peeks at the first byte
// (MSG_PEEK), which stays in the socket for the Read that follows.
// RawConn.Read calls the function, and, each time it reports "not yet",
// parks the goroutine in Go's poller until the socket is readable. What
// went wrong, the Read that follows reports.
func (c *netConn) waitForBytes() {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	var first [1]byte
	rc.Read(func(fd uintptr) bool {
		_, _, err := unix.Recvfrom(int(fd), first[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		return err != unix.EAGAIN && err != unix.EINTR
	})
}
