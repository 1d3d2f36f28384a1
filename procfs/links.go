package procfs

import (
	"os"
)

// Exe returns the target of /proc/PID/exe: the path of the executable, with " (deleted)"
// appended by the kernel if it was unlinked after exec. A kernel thread has none: the error
// then satisfies errors.Is(err, os.ErrNotExist), as for a vanished process.
func (fs FS) Exe(pid int) (string, error) {
	return os.Readlink(fs.pidPath(pid, "exe"))
}

// Cwd returns the target of /proc/PID/cwd, the working directory.
func (fs FS) Cwd(pid int) (string, error) {
	return os.Readlink(fs.pidPath(pid, "cwd"))
}

// Root returns the target of /proc/PID/root, the root directory (not "/" in a chroot or a
// container's mount namespace).
func (fs FS) Root(pid int) (string, error) {
	return os.Readlink(fs.pidPath(pid, "root"))
}

// OpenExe opens the executable through /proc/PID/exe, which works even when the file was
// deleted or replaced on disk since the exec.
func (fs FS) OpenExe(pid int) (*os.File, error) {
	return os.Open(fs.pidPath(pid, "exe"))
}
