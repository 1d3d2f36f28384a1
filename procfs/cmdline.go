package procfs

import (
	"strings"
)

// Cmdline reads /proc/PID/cmdline: the raw bytes and the arguments they hold. The kernel
// gives the argument area as the process left it: NUL-terminated strings normally, a
// setproctitle'd string perhaps without its NUL, nothing at all for a kernel thread or zombie.
func (fs FS) Cmdline(pid int) (raw []byte, argv []string, err error) {
	raw, err = readBounded(fs.pidPath(pid, "cmdline"), maxArgs)
	if err != nil {
		return nil, nil, err
	}
	return raw, splitNUL(raw), nil
}

// Environ reads /proc/PID/environ: the raw bytes and the NAME=value strings they hold, in the
// process's own order. Like cmdline it is what the process left in the area, not necessarily
// what it was started with.
func (fs FS) Environ(pid int) (raw []byte, env []string, err error) {
	raw, err = readBounded(fs.pidPath(pid, "environ"), maxArgs)
	if err != nil {
		return nil, nil, err
	}
	return raw, splitNUL(raw), nil
}

// Comm reads /proc/PID/comm: the command name (at most 15 bytes, raw), without its newline.
func (fs FS) Comm(pid int) (string, error) {
	return readLine(fs.pidPath(pid, "comm"))
}

// splitNUL splits NUL-terminated strings. A missing final NUL is tolerated; empty strings
// between NULs are kept. Empty input gives nil.
func splitNUL(raw []byte) []string {
	if len(raw) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
}
