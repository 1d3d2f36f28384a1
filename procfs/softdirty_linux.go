package procfs

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrNoSoftDirty means the kernel does not track writes with soft-dirty
// (built without CONFIG_MEM_SOFT_DIRTY, or an architecture without it).
var ErrNoSoftDirty = errors.New("this kernel does not track page writes with soft-dirty (CONFIG_MEM_SOFT_DIRTY): pagemap bit 55 stays 0 after a write")

// CheckSoftDirty finds out, on a page of the calling process, whether the
// kernel tracks writes with soft-dirty: a written page must be soft-dirty,
// clear after ClearSoftDirty, and soft-dirty again once written. It clears
// the calling process's own bits, which nothing in procsnap uses. It
// returns nil, an error wrapping ErrNoSoftDirty, or why it could not tell.
func (fs FS) CheckSoftDirty() error {
	ps := os.Getpagesize()
	b, err := unix.Mmap(-1, 0, ps, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return err
	}
	defer unix.Munmap(b)
	pid, addr := os.Getpid(), uint64(uintptr(unsafe.Pointer(&b[0])))
	dirty := func() (bool, error) {
		e, err := fs.Pagemap(pid, addr, addr+uint64(ps), ps)
		if err != nil {
			return false, err
		}
		return e[0].SoftDirty(), nil
	}
	b[0] = 1
	if d, err := dirty(); err != nil || !d {
		return errors.Join(err, ErrNoSoftDirty)
	}
	if err := fs.ClearSoftDirty(pid); err != nil {
		return fmt.Errorf("clear soft-dirty bits: %w", err)
	}
	if d, err := dirty(); err != nil || d {
		return errors.Join(err, fmt.Errorf("a page stays soft-dirty after clear_refs: %w", ErrNoSoftDirty))
	}
	b[0] = 2
	if d, err := dirty(); err != nil || !d {
		return errors.Join(err, fmt.Errorf("a write after clear_refs is not tracked: %w", ErrNoSoftDirty))
	}
	return nil
}
