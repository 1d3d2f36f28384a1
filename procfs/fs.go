package procfs

import (
	"path/filepath"
	"strconv"
)

// DefaultRoot is where the kernel mounts procfs.
const DefaultRoot = "/proc"

// FS is a procfs tree rooted at a directory: /proc on a live system, a fixtures tree in tests.
// The zero FS reads DefaultRoot.
type FS struct {
	root string
}

// NewFS returns an FS rooted at root; an empty root means DefaultRoot.
func NewFS(root string) FS {
	return FS{root: root}
}

// Default returns the FS of the running system, rooted at DefaultRoot.
func Default() FS {
	return FS{root: DefaultRoot}
}

// Dir returns the directory the FS reads.
func (fs FS) Dir() string {
	if fs.root == "" {
		return DefaultRoot
	}
	return fs.root
}

// path joins elems below the root.
func (fs FS) path(elems ...string) string {
	return filepath.Join(append([]string{fs.Dir()}, elems...)...)
}

// pidPath is the path of file name in the directory of process pid.
func (fs FS) pidPath(pid int, name string) string {
	return fs.path(strconv.Itoa(pid), name)
}

// taskPath is the path of file name in the directory of thread tid of process pid.
func (fs FS) taskPath(pid, tid int, name string) string {
	return fs.path(strconv.Itoa(pid), "task", strconv.Itoa(tid), name)
}
