//go:build !unix

package testscripts

// mkfifo does nothing here: this system has no named pipes.
func mkfifo(path string) {}
