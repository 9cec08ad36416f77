//go:build !unix

package main

import "os/exec"

// CGI as RFC 3875 has it runs a script with its "#!" line and kills it
// with its process group: both are Unix ideas. Elsewhere, CGI requests
// are answered 501 Not Implemented.
const cgiSupported = false

func inOwnGroup(cmd *exec.Cmd) {}

func killGroup(cmd *exec.Cmd) error { return cmd.Process.Kill() }
