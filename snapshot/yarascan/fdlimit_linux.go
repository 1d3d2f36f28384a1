package yarascan

import "syscall"

// childFDLimit raises this process's soft limit of open files to its hard
// limit so that the yara children inherit it, and returns the soft limit
// they get. The Go runtime raised procsnap's own limit at start but hands
// children the original one (often 1024) unless the program sets it
// itself; a yara process holds one inherited descriptor per run of its
// batch and opens more above them.
func childFDLimit() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 1024
	}
	if lim.Cur < lim.Max {
		raised := syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	return int(min(lim.Cur, 1<<20))
}
