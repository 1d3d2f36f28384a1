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

// ErrScanInconsistent means PAGEMAP_SCAN returned runs that cannot be
// right (unaligned, outside the asked range, or no progress): read
// entries with ReadEntries instead.
var ErrScanInconsistent = errors.New("PAGEMAP_SCAN returned inconsistent runs")

// Touched calls fn for each run [a, b) of pages in [start, end) that are
// present or swapped, using PAGEMAP_SCAN. Pages between the runs were
// never touched. Whatever the kernel returns, the runs fn sees are
// page-aligned, non-empty, inside [start, end) and strictly increasing
// (each starts at or after the end of the one before); if that cannot be
// kept, Touched stops with an error wrapping ErrScanInconsistent. It
// returns ErrScanUnsupported on kernels without the ioctl.
//
// The kernel's answer needs this care: when one call returns more than
// 512 runs, its walk_end can point back to the start of its last internal
// 512-entry pass, although every run up to the end was returned, so
// resuming from it returns runs a second time (seen on 6.18).
func (r *PagemapReader) Touched(start, end uint64, fn func(a, b uint64)) error {
	if start%r.pageSize != 0 || end%r.pageSize != 0 || end < start {
		return fmt.Errorf("scan %s: range %#x-%#x is not page aligned", r.path, start, end)
	}
	if r.scanVec == nil {
		r.scanVec = make([]pageRegion, scanVecEntries)
	}
	c := scanCursor{start: start, at: start, end: end, pageSize: r.pageSize}
	for c.at < end {
		walkEnd, vec, err := r.scanOnce(c.at, end)
		if err != nil {
			return err
		}
		if err := c.take(vec, walkEnd, len(vec) == len(r.scanVec), fn); err != nil {
			return fmt.Errorf("scan %s: %w", r.path, err)
		}
	}
	return nil
}

// scanOnce makes one PAGEMAP_SCAN call for [start, end).
func (r *PagemapReader) scanOnce(start, end uint64) (uint64, []pageRegion, error) {
	vec := r.scanVec
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
			return 0, nil, ErrScanUnsupported
		}
		return 0, nil, fmt.Errorf("scan %s: %w", r.path, errno)
	}
	if n > uintptr(len(vec)) {
		return 0, nil, fmt.Errorf("scan %s: %d runs returned into a vector of %d: %w", r.path, n, len(vec), ErrScanInconsistent)
	}
	return arg.walkEnd, vec[:n], nil
}

// scanCursor turns the kernel's PAGEMAP_SCAN answers into runs that are
// strictly increasing and inside [at, end) as first asked. at is where
// the next call starts: the end of the last run handed out, or further
// where the kernel says it walked.
type scanCursor struct {
	start, at, end, pageSize uint64
}

// take hands out the runs of one answer. A run that ends at or before
// at was handed out already (the kernel repeats runs) and is dropped; one
// that overlaps at is cut to start there. full says the vector was filled:
// the kernel then stopped after the last run, whatever walk_end says.
func (c *scanCursor) take(vec []pageRegion, walkEnd uint64, full bool, fn func(a, b uint64)) error {
	callStart := c.at
	for _, pr := range vec {
		a, b := pr.start, pr.end
		switch {
		case a%c.pageSize != 0 || b%c.pageSize != 0 || b <= a:
			return fmt.Errorf("run %#x-%#x is empty or not page aligned: %w", a, b, ErrScanInconsistent)
		case a < c.start || b > c.end:
			return fmt.Errorf("run %#x-%#x is outside the asked range %#x-%#x: %w", a, b, c.start, c.end, ErrScanInconsistent)
		case b <= c.at:
			continue
		}
		a = max(a, c.at)
		fn(a, b)
		c.at = b
	}
	next := c.at
	if !full {
		next = max(walkEnd, c.at)
	}
	switch {
	case next <= callStart:
		return fmt.Errorf("no progress at %#x (walk end %#x): %w", callStart, walkEnd, ErrScanInconsistent)
	case next > c.end:
		return fmt.Errorf("walk end %#x beyond the asked end %#x: %w", walkEnd, c.end, ErrScanInconsistent)
	}
	c.at = next
	return nil
}
