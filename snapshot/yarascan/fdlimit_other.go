//go:build !linux

package yarascan

// childFDLimit is the usual soft limit of open files: yara scans need
// Linux (memfds) anyway.
func childFDLimit() int { return 1024 }
