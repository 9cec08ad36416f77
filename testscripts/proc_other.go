//go:build !linux

package testscripts

import "os/exec"

// setDeathSignal does nothing here: only Linux can tie a child's life to
// its parent's. The servers are still killed when each script ends.
func setDeathSignal(cmd *exec.Cmd) {}
