//go:build !linux

package proctest

import "runtime"

// seize is Linux's: PTRACE_SEIZE exists nowhere else.
func seize(int) string { return "error: no PTRACE_SEIZE on " + runtime.GOOS }
