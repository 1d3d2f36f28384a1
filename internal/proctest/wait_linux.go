package proctest

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exited reports whether process pid, a child, has exited (or is gone),
// leaving it to be reaped: waitid with WNOWAIT consumes nothing, not even
// a ptrace stop, which it may report.
func exited(pid int) bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	if errors.Is(err, unix.ECHILD) {
		return true // reaped already
	}
	const cldExited, cldKilled, cldDumped = 1, 2, 3
	return err == nil && info.Signo != 0 && (info.Code == cldExited || info.Code == cldKilled || info.Code == cldDumped)
}
