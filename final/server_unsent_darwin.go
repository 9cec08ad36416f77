package main

import "golang.org/x/sys/unix"

// unsentBytes is how many bytes the kernel holds in a TCP socket's send
// buffer: not yet sent, or sent and not yet acknowledged (SO_NWRITE).
func unsentBytes(fd uintptr) int {
	n, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_NWRITE)
	if err != nil {
		return 0
	}
	return n
}
