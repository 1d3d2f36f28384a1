package format

import (
	"encoding/json"
	"sort"
)

// precopyIndex is what a Reader finds of the pre-copy: its regions, and
// all their spans in address order, which the final section's PageInherit
// fills resolve to.
type precopyIndex struct {
	regions []*Region
	byIndex map[int]*Region
	spans   []Span // every pre-copy span, sorted by Start, built by finish
}

// Freeze is the freeze record, nil if the archive has none (version 1, or
// cut off before the freeze).
func (r *Reader) Freeze() *Freeze { return r.freeze }

// Inconsistent says why the archive's regions are not the process at one
// instant ("" when they are, as far as the archive goes): a version 2
// archive cut off before its freeze record holds only the pre-copy, made
// while the process ran.
func (r *Reader) Inconsistent() string { return r.inconsistent }

// PrecopyRegions are the regions of the pre-copy section (none in a
// version 1 archive or a capture with --freeze=whole).
func (r *Reader) PrecopyRegions() []*Region { return r.pre.regions }

func (r *Reader) applyFreeze(p []byte, off int64) error {
	var f Freeze
	if err := checkJSONValues(p, MaxEndLen); err != nil {
		return corruptf(off, -1, "freeze record: %v", err)
	}
	if err := json.Unmarshal(p, &f); err != nil {
		return corruptf(off, -1, "freeze record: %v", err)
	}
	if r.freeze != nil {
		return corruptf(off, -1, "a second freeze record")
	}
	r.freeze = &f
	return nil
}

func (r *Reader) addPrecopyRegion(p []byte, off int64) error {
	d, err := decodeDesc(p, uint64(r.hdr.PageSize))
	if err != nil {
		return corruptf(off, -1, "pre-copy region descriptor: %v", err)
	}
	if r.pre.byIndex == nil {
		r.pre.byIndex = map[int]*Region{}
	}
	if d.Index < 0 || r.pre.byIndex[d.Index] != nil {
		return corruptf(off, d.Index, "duplicate or negative pre-copy region index %d", d.Index)
	}
	g := &Region{Desc: d, descOff: off, precopy: true}
	r.pre.byIndex[d.Index] = g
	r.pre.regions = append(r.pre.regions, g)
	return nil
}

// regionFor returns the region a data record belongs to: in the final
// section's index space, or the pre-copy's.
func (r *Reader) regionFor(pre bool, index int) *Region {
	if pre {
		return r.pre.byIndex[index]
	}
	return r.byIndex[index]
}

// finishPrecopy sorts the pre-copy spans by address, dropping any that
// overlap an earlier one (maps never shows overlapping regions), and
// resolves the final regions' PageInherit spans. Without a freeze record,
// the pre-copy regions are all the archive has: they become the regions.
func (r *Reader) finishPrecopy() {
	if len(r.pre.regions) == 0 {
		return
	}
	sort.Slice(r.pre.regions, func(i, j int) bool { return r.pre.regions[i].Desc.Index < r.pre.regions[j].Desc.Index })
	var all []Span
	for _, g := range r.pre.regions {
		all = append(all, g.spans...)
		g.all = g.computeSpans()
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Start < all[j].Start })
	for _, s := range all {
		if n := len(r.pre.spans); n > 0 && s.Start < r.pre.spans[n-1].End {
			r.problems = append(r.problems, corruptf(s.off, s.rec, "pre-copy span %#x-%#x overlaps the one before it", s.Start, s.End))
			continue
		}
		r.pre.spans = append(r.pre.spans, s)
	}
	if r.freeze == nil {
		r.inconsistent = "the archive ends before the freeze: it holds only the pre-copy, copied while the process ran, not one instant of it"
		if len(r.regions) == 0 {
			r.regions = r.pre.regions
		}
		return
	}
	// Inherit spans never overlap (regions do not, nor do a region's
	// spans), so each resolved span begins either an inherit span or a
	// pre-copy span: there are at most as many as both together. A hostile
	// archive whose regions overlap could make every region show every
	// pre-copy span; the bound keeps that linear.
	budget := len(r.pre.spans) + 1024
	for _, g := range r.regions {
		for _, s := range g.spans {
			if s.State == PageInherit && !s.chunk {
				budget++
			}
		}
	}
	for _, g := range r.regions {
		g.spans = r.resolveInherit(g.spans, &budget)
		if budget < 0 {
			r.problems = append(r.problems, corruptf(g.descOff, g.Desc.Index,
				"as-pre-copied fills show the same pre-copy pages over and over: left unresolved (missing)"))
			budget = 0
		}
	}
}

// resolveInherit replaces each PageInherit span by the pre-copy spans at
// its addresses, clipped to it. Pages the pre-copy has no record of are
// left as a gap, which reads as missing.
// Once budget (spans it may still make) runs out, inherit spans are
// dropped: their pages read as missing.
func (r *Reader) resolveInherit(spans []Span, budget *int) []Span {
	var out []Span
	for _, s := range spans {
		if s.State != PageInherit || s.chunk {
			out = append(out, s)
			continue
		}
		pre := r.pre.spans
		i := sort.Search(len(pre), func(i int) bool { return pre[i].End > s.Start })
		for ; i < len(pre) && pre[i].Start < s.End && *budget >= 0; i++ {
			p := pre[i]
			p.Start, p.End = max(p.Start, s.Start), min(p.End, s.End)
			out = append(out, p)
			*budget--
		}
	}
	return out
}

// clip is a chunk head cut to the span's pages.
func (h chunkHead) clip(s Span, ps uint64) chunkHead {
	lo, hi := (s.Start-h.Start)/ps, (s.End-h.Start)/ps
	h.Start, h.States, h.Hashes = s.Start, h.States[lo:hi:hi], h.Hashes[lo:hi:hi]
	return h
}

// checkSection refuses a record in the wrong section: pre-copy records
// after the freeze record, final regions before it when there was a
// pre-copy.
func (r *Reader) checkSection(typ recType, off int64) error {
	switch typ {
	case recPrecopyRegion, recPrecopyChunk, recPrecopyFill:
		if r.freeze != nil {
			return corruptf(off, -1, "%s after the freeze record", typ)
		}
	case recRegion:
		if len(r.pre.regions) > 0 && r.freeze == nil {
			return corruptf(off, -1, "%s before the freeze record that ends the pre-copy", typ)
		}
	}
	return nil
}
