package procfs

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
)

// MemAvailable is MemAvailable of /proc/meminfo in bytes: what the kernel
// estimates can be allocated without swapping. 0 if it cannot be read.
func (fs FS) MemAvailable() int64 {
	f, err := os.Open(fs.path("meminfo"))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("MemAvailable:"))
		if !ok {
			continue
		}
		if fields := bytes.Fields(rest); len(fields) >= 1 {
			if kb, err := strconv.ParseInt(string(fields[0]), 10, 64); err == nil && kb >= 0 && kb < 1<<50 {
				return kb << 10
			}
		}
		return 0
	}
	return 0
}

// OpenMem opens /proc/PID/mem for reading the process's memory with pread
// (reading needs ptrace-attach permission over the process).
func (fs FS) OpenMem(pid int) (*os.File, error) {
	return os.Open(fs.pidPath(pid, "mem"))
}
