package procfs

import "os"

// OpenMem opens /proc/PID/mem for reading the process's memory with pread
// (reading needs ptrace-attach permission over the process).
func (fs FS) OpenMem(pid int) (*os.File, error) {
	return os.Open(fs.pidPath(pid, "mem"))
}
