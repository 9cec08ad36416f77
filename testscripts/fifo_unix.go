//go:build unix

package testscripts

import "syscall"

// mkfifo makes a named pipe, as a copy of one (a script's site may hold
// one, to test a server that would wait on it for ever).
func mkfifo(path string) { syscall.Mkfifo(path, 0o644) }
