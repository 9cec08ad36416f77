//go:build !unix

package main

import "testing"

func busyWithIdle(b *testing.B, servers []running, t *resultTable) {
	b.Skip("RLIMIT_NOFILE, and the servers' CPU and memory, are measured on Unix only")
}
