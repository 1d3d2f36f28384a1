package procfs

import (
	"fmt"
	"os"
)

// ClearSoftDirty clears the soft-dirty bit (pagemap bit 55, PageEntry.SoftDirty) of every
// page of process pid by writing "4" to /proc/PID/clear_refs
// (Documentation/admin-guide/mm/soft-dirty.rst). The kernel sets the bit again when the page
// is written, by the process or by the kernel on its behalf.
//
// It changes the process's state: the bits are shared by every user of soft-dirty (CRIU, for
// one), and clearing them write-protects every page, so each first write afterwards faults.
// A kernel built without CONFIG_MEM_SOFT_DIRTY accepts the write and tracks nothing: bit 55
// then stays 0 after a write. Writing clear_refs needs the rights of the process's owner.
func (fs FS) ClearSoftDirty(pid int) error {
	path := fs.pidPath(pid, "clear_refs")
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte("4")); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
