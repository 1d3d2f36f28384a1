//go:build !linux

package benchtarget

import "os/exec"

// setPdeathsig does nothing: there is no parent-death signal here.
func setPdeathsig(*exec.Cmd) {}
