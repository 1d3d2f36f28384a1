package procfs

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// PAGEMAP_SCAN (Linux 6.7+) reports runs of pages by category in one
// ioctl on the pagemap file, so finding the touched pages of a sparse
// mapping costs time in proportion to what is touched, not to its size.
const (
	pagemapScan    = 0xC0606610 // _IOWR('f', 16, struct pm_scan_arg)
	pageIsPresent  = 1 << 3
	pageIsSwapped  = 1 << 4
	scanVecEntries = 4096
)

// pmScanArg is struct pm_scan_arg of linux/fs.h.
type pmScanArg struct {
	size, flags, start, end, walkEnd, vec, vecLen, maxPages       uint64
	categoryInverted, categoryMask, categoryAnyofMask, returnMask uint64
}

// ErrScanUnsupported means the kernel has no PAGEMAP_SCAN: read entries
// with ReadEntries instead.
var ErrScanUnsupported = errors.New("PAGEMAP_SCAN is not supported by this kernel")

// Touched calls fn for each run [a, b) of pages in [start, end) that are
// present or swapped, in address order, using PAGEMAP_SCAN. Pages between
// the runs were never touched. It returns ErrScanUnsupported on kernels
// without the ioctl.
func (r *PagemapReader) Touched(start, end uint64, fn func(a, b uint64)) error {
	if start%r.pageSize != 0 || end%r.pageSize != 0 || end < start {
		return fmt.Errorf("scan %s: range %#x-%#x is not page aligned", r.path, start, end)
	}
	if r.scanVec == nil {
		r.scanVec = make([]pageRegion, scanVecEntries)
	}
	vec := r.scanVec
	for start < end {
		arg := pmScanArg{
			start: start, end: end,
			vec:               uint64(uintptr(unsafe.Pointer(&vec[0]))),
			vecLen:            uint64(len(vec)),
			categoryAnyofMask: pageIsPresent | pageIsSwapped,
			returnMask:        pageIsPresent | pageIsSwapped,
		}
		arg.size = uint64(unsafe.Sizeof(arg))
		n, _, errno := unix.Syscall(unix.SYS_IOCTL, r.f.Fd(), pagemapScan, uintptr(unsafe.Pointer(&arg)))
		if errno != 0 {
			if errno == unix.ENOTTY || errno == unix.EINVAL || errno == unix.EOPNOTSUPP {
				return ErrScanUnsupported
			}
			return fmt.Errorf("scan %s: %w", r.path, errno)
		}
		for _, pr := range vec[:n] {
			fn(pr.start, pr.end)
		}
		if arg.walkEnd <= start {
			return fmt.Errorf("scan %s: no progress at %#x", r.path, start)
		}
		start = arg.walkEnd
	}
	return nil
}
