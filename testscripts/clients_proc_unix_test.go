//go:build unix

package testscripts

import (
	"os/exec"
	"syscall"
)

// ownGroup starts a browser in a process group of its own, so that
// killGroup ends its helper processes too, not only the first one.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
