package format

import "fmt"

// footerCheck recomputes a region's footer (its hash and byte counts)
// from its pages in address order, for Verify (from the spans of a file)
// and VerifyStream (from records as they pass).
type footerCheck struct {
	ps uint64
	d  *regionHasher
	c  Footer
}

func newFooterCheck(pageSize int) *footerCheck {
	return &footerCheck{ps: uint64(pageSize), d: newRegionHasher()}
}

// chunk adds a chunk's pages: data or zero, with their hashes.
func (f *footerCheck) chunk(states []PageState, hashes []uint64) {
	for k, st := range states {
		f.page(st, hashes[k])
	}
}

// page adds one page of a chunk, data or zero, with its hash.
func (f *footerCheck) page(st PageState, hash uint64) {
	f.d.add(hash, 1)
	if st == PageZero {
		f.c.ZeroBytes += f.ps
	} else {
		f.c.DataBytes += f.ps
	}
}

// fill adds the pages [start, end) stored as a fill of state, or missing
// (PageNotCaptured). The pages of a skipped region have no hashes.
func (f *footerCheck) fill(state PageState, start, end uint64, skipped bool) {
	var h uint64
	switch state {
	case PageZero:
		f.c.ZeroBytes += end - start
		h = ZeroPageHash(int(f.ps))
	case PageUnreadable:
		f.c.UnreadableBytes += end - start
	default:
		f.c.NotCapturedBytes += end - start
	}
	if !skipped {
		f.d.add(h, (end-start)/f.ps)
	}
}

// compare checks the recomputed hash and counts against the footer of
// region d, whose descriptor is at off.
func (f *footerCheck) compare(d RegionDesc, off int64, ft *Footer) []Problem {
	var out []Problem
	if sum := f.d.sum(); d.Skip == "" && sum != ft.Hash {
		out = append(out, Problem{d.Index, off, fmt.Sprintf("region hash %016x does not match the footer's %016x", sum, ft.Hash)})
	}
	c := f.c
	if d.Skip != "" {
		c.NotCapturedBytes = ft.NotCapturedBytes
	}
	if c.DataBytes != ft.DataBytes || c.ZeroBytes != ft.ZeroBytes || c.UnreadableBytes != ft.UnreadableBytes || c.NotCapturedBytes != ft.NotCapturedBytes {
		out = append(out, Problem{d.Index, off, fmt.Sprintf(
			"stored pages (data %d, zero %d, unreadable %d, not captured %d bytes) do not match the footer (%d, %d, %d, %d)",
			c.DataBytes, c.ZeroBytes, c.UnreadableBytes, c.NotCapturedBytes, ft.DataBytes, ft.ZeroBytes, ft.UnreadableBytes, ft.NotCapturedBytes)})
	}
	return out
}

// missingProblem says that the pages [start, end) of a region that was not
// skipped are in no record.
func missingProblem(d RegionDesc, off int64, start, end uint64) Problem {
	return Problem{d.Index, off, fmt.Sprintf("pages %#x-%#x are missing from the archive", start, end)}
}
