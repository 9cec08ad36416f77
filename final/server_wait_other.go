//go:build !unix

package main

// waitForBytes: Windows has no MSG_PEEK wait here; a connection waits in
// its Read, holding its buffer.
func (c *netConn) waitForBytes() {}
