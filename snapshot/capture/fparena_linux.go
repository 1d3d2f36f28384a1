package capture

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// fpBlockBytes is the unit the fingerprint arena maps: fingerprints of
// 2 GiB of target.
const fpBlockBytes = 4 << 20

// fpArena holds the pre-copy's fingerprints in memory mapped outside the Go
// heap. They live from the pre-copy to the end of the final pass, 8 bytes a
// page (26 MiB for a 13 GiB target, 60 MiB for 30 GiB): on the heap they
// would be most of what is live there, and the collector lets the heap grow
// to twice what is live before it collects, so the capture's peak RSS would
// grow by twice their size. Blocks are mapped as they are needed, are never
// scanned by the collector (no pointers), and are unmapped by release.
// One goroutine (the pre-copy) allocates.
type fpArena struct {
	blocks [][]byte
	free   []uint64 // the unused rest of the newest block
}

// alloc returns n zeroed fingerprints; on the heap if mapping fails. An
// array larger than a block gets a mapping of its own.
func (a *fpArena) alloc(n int) []uint64 {
	if n > fpBlockBytes/8 {
		return a.mapped(n)
	}
	if n > len(a.free) {
		a.free = a.mapped(fpBlockBytes / 8)
	}
	s := a.free[:n:n]
	a.free = a.free[n:]
	return s
}

// mapped maps n fingerprints, rounded up to whole pages.
func (a *fpArena) mapped(n int) []uint64 {
	ps := unix.Getpagesize()
	b, err := unix.Mmap(-1, 0, (n*8+ps-1)/ps*ps, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return make([]uint64, n)
	}
	a.blocks = append(a.blocks, b)
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// release unmaps every block: no fingerprint it handed out may be used
// after it.
func (a *fpArena) release() {
	for _, b := range a.blocks {
		unix.Munmap(b) //nolint:errcheck // nothing to do about it
	}
	a.blocks, a.free = nil, nil
}
