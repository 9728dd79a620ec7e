//go:build !linux

package main

import "os"

// isTerminal is false where alusta does not ask: scripts pass --yes, and
// nothing asks without a terminal.
func isTerminal(*os.File) bool { return false }
