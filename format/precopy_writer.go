package format

import (
	"encoding/json"
	"fmt"
	"sort"
)

// BeginPrecopy starts the pre-copy section: the regions written until
// WriteFreeze are copied while the target runs, into their own index
// space, and the final section may refer to them with PageInherit fills.
// It must come before any region of the final section.
func (w *Writer) BeginPrecopy() error {
	if err := w.Err(); err != nil {
		return err
	}
	if w.precopy || w.frozen || w.nextRegion > 0 || w.open != nil {
		return fmt.Errorf("the pre-copy must begin once, before any region")
	}
	w.precopy = true
	return nil
}

// WriteFreeze writes the freeze record, which ends the pre-copy section
// (if one was begun) and starts the final section: the regions written
// after it describe the process at one instant of the freeze, numbered
// from 0 again.
func (w *Writer) WriteFreeze(f Freeze) error {
	if w.frozen {
		return fmt.Errorf("a second freeze record")
	}
	p, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode the freeze record: %w", err)
	}
	if err := w.writeRecord(recFreeze, p); err != nil {
		return err
	}
	w.precopy, w.frozen, w.nextRegion, w.regionEnd = false, true, 0, 0
	return nil
}

// regionType, chunkType and fillType are the record types of the current
// section.
func (w *Writer) regionType() recType { return w.sectionType(recRegion, recPrecopyRegion) }
func (w *Writer) chunkType() recType  { return w.sectionType(recChunk, recPrecopyChunk) }
func (w *Writer) fillType() recType   { return w.sectionType(recFill, recPrecopyFill) }

func (w *Writer) sectionType(final, pre recType) recType {
	if w.precopy {
		return pre
	}
	return final
}

// checkInherit checks, on the caller's side, that a PageInherit fill lies
// in the final section and inside what the pre-copy wrote.
func (w *Writer) checkInherit(addr, end uint64) error {
	if w.precopy || !w.frozen {
		return fmt.Errorf("an as-pre-copied fill outside the final section")
	}
	i := sort.Search(len(w.preCover), func(i int) bool { return w.preCover[i].End > addr })
	if end > addr && (i == len(w.preCover) || w.preCover[i].Start > addr || w.preCover[i].End < end) {
		return fmt.Errorf("as-pre-copied fill %#x-%#x is not inside what the pre-copy wrote: %w", addr, end, ErrRunOrder)
	}
	return nil
}

// coverPrecopy notes that the pre-copy wrote [addr, end).
func (w *Writer) coverPrecopy(addr, end uint64) {
	if !w.precopy || end <= addr {
		return
	}
	if n := len(w.preCover); n > 0 && w.preCover[n-1].End == addr {
		w.preCover[n-1].End = end
		return
	}
	w.preCover = append(w.preCover, Range{Start: addr, End: end})
}

// precopyPages is what the output side keeps of the pre-copy: the state
// and hash of each page by address, to account the final section's
// PageInherit fills into its region hashes and counters. Runs arrive in
// address order (the pre-copy regions come from one maps listing).
type precopyPages struct{ runs []preRun }

type preRun struct {
	start, end uint64
	state      PageState // of a fill; PageData for a chunk
	errno      uint32
	states     []PageState // a chunk's, one per page
	hashes     []uint64
}

func (p *precopyPages) add(r preRun) { p.runs = append(p.runs, r) }

// each calls fn for the parts of [a, b) in address order: a fill's part
// as a fill, a chunk's pages one at a time with their hash (page true).
// The writer checked the coverage already.
func (p *precopyPages) each(a, b, ps uint64, fn func(f fill, hash uint64, page bool)) {
	i := sort.Search(len(p.runs), func(i int) bool { return p.runs[i].end > a })
	for ; i < len(p.runs) && p.runs[i].start < b; i++ {
		r := &p.runs[i]
		lo, hi := max(a, r.start), min(b, r.end)
		if r.states == nil {
			fn(fill{State: r.state, Errno: r.errno, Start: lo, End: hi}, 0, false)
			continue
		}
		for addr := lo; addr < hi; addr += ps {
			k := (addr - r.start) / ps
			fn(fill{State: r.states[k], Start: addr, End: addr + ps}, r.hashes[k], true)
		}
	}
}
