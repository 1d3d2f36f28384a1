//go:build !linux

package proctest

import "syscall"

// exited reports whether process pid is gone (no waitid with WNOWAIT here:
// an exited child that is not reaped yet counts as running).
func exited(pid int) bool { return syscall.Kill(pid, 0) != nil }
