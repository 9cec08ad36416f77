//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

const cgiSupported = true

// inOwnGroup starts the script as the leader of a new process group, which
// its children join, and makes a timeout kill the whole group: killing
// only the shell would leave its "sleep" or its pipeline running.
func inOwnGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
}

// killGroup kills every process in the script's group. A negative pid
// names a process group (kill(2)).
func killGroup(cmd *exec.Cmd) error {
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
