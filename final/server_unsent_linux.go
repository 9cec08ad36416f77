package main

import "golang.org/x/sys/unix"

// unsentBytes is how many bytes the kernel holds in a TCP socket's send
// queue: not yet sent, or sent and not yet acknowledged (SIOCOUTQ, tcp(7)).
func unsentBytes(fd uintptr) int {
	n, err := unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
	if err != nil {
		return 0
	}
	return n
}
