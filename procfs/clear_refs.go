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
	return fs.writeClearRefs(pid, "4")
}

// ResetPeakRSS resets the peak resident set size of process pid (VmHWM of its status, which
// PeakRSS reads) to its current RSS by writing "5" to /proc/PID/clear_refs (Linux 4.0+). It
// changes nothing else; a profiler calls it on itself to measure one run.
func (fs FS) ResetPeakRSS(pid int) error {
	return fs.writeClearRefs(pid, "5")
}

func (fs FS) writeClearRefs(pid int, what string) error {
	path := fs.pidPath(pid, "clear_refs")
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte(what)); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
