package format

// How VerifyStream checks each region's records as they pass.

import (
	"bytes"
	"fmt"
	"strings"
)

// outOfOrder explains a record that a file may hold where it is, but that
// a stream cannot check there.
const outOfOrder = "records out of the order procsnap writes them, in which a stream is verified " +
	"(regions in index order, each one's descriptor, data and footer in turn): save it to a file and verify that"

// begin opens a region at its descriptor.
func (v *streamVerifier) begin(p []byte, off int64) error {
	d, err := decodeDesc(p, uint64(v.src.hdr.PageSize))
	if err != nil {
		return corruptf(off, -1, "region descriptor: %v", err)
	}
	if v.open != nil { // the region before has no footer
		v.res.Unfooted++
		v.open = nil
	}
	if v.pre.seen && !v.pre.frozen {
		return corruptf(off, d.Index, "region descriptor before the freeze record that ends the pre-copy")
	}
	switch {
	case d.Index < 0:
		return corruptf(off, d.Index, "duplicate or negative region index %d", d.Index)
	case d.Index <= v.last:
		return corruptf(off, d.Index, "region %d comes after region %d: %s", d.Index, v.last, outOfOrder)
	}
	v.last = d.Index
	v.res.RegionsChecked++
	v.open = &regionCheck{desc: d, off: off, cursor: d.Start, fc: newFooterCheck(int(v.src.hdr.PageSize))}
	if d.Start < v.prevEnd {
		v.damage(corruptf(off, d.Index, "region %#x-%#x overlaps or precedes the region before it", d.Start, d.End))
	}
	v.prevEnd = max(v.prevEnd, d.End)
	return nil
}

// span checks that [start, end) of a chunk or fill of region comes next in
// the open region, and accounts the pages missing before it.
func (v *streamVerifier) span(region int, start, end uint64, off int64) (*regionCheck, error) {
	g := v.open
	if g == nil || g.desc.Index != region {
		return nil, corruptf(off, region, "data for region %d outside its descriptor and footer: %s", region, outOfOrder)
	}
	if err := checkSpan(g.desc, g.cursor, start, end, off); err != nil {
		return nil, err
	}
	if g.desc.Skip != "" && !g.dataBad {
		g.dataBad = true
		v.damage(corruptf(g.off, region, "skipped region holds data records"))
	}
	g.gap(start)
	g.cursor = end
	return g, nil
}

// maxGaps bounds the missing ranges kept per region.
const maxGaps = 64

// gap accounts the pages from the cursor to end, which no record covers.
func (g *regionCheck) gap(end uint64) {
	if end <= g.cursor {
		return
	}
	if g.desc.Skip == "" && len(g.missing) < maxGaps {
		g.missing = append(g.missing, missingProblem(g.desc, g.off, g.cursor, end))
	}
	g.fc.fill(PageNotCaptured, g.cursor, end, g.desc.Skip != "")
	g.cursor = end
}

// missingPages accounts [start, end) of the region, which no record holds.
func (g *regionCheck) missingPages(start, end uint64) {
	if g.desc.Skip == "" && len(g.missing) < maxGaps {
		g.missing = append(g.missing, missingProblem(g.desc, g.off, start, end))
	}
	g.fc.fill(PageNotCaptured, start, end, g.desc.Skip != "")
}

// chunk checks a chunk record and every page hash in it.
func (v *streamVerifier) chunk(p []byte, off, n int64) error {
	hdr := v.src.hdr
	h, err := parseChunkHead(p, int(hdr.PageSize), int(hdr.ChunkSize))
	if err != nil {
		if v.chunkInPlace(p, off, n, err.Error()) {
			return nil
		}
		return corruptf(off, -1, "chunk: %v", err)
	}
	end := h.Start + uint64(len(h.States))*uint64(hdr.PageSize)
	if err := checkChunkSpan(hdr, h.Region, h.Start, end, off, n); err != nil {
		return err
	}
	g, err := v.span(h.Region, h.Start, end, off)
	if err != nil {
		return err
	}
	data, err := chunkBytes(h, p[chunkHeadLen(len(h.States)):], int(hdr.PageSize), v.zdec, false, v.scratch)
	if err != nil {
		v.problem(Problem{h.Region, off, reason(corruptf(off, h.Region, "chunk at %#x: %v", h.Start, err))})
		g.bad = true
		return nil
	}
	v.scratch = data
	g.fc.chunk(h.States, h.Hashes)
	return nil
}

// fill checks a fill record.
func (v *streamVerifier) fill(p []byte, off int64) error {
	f, err := decodeFill(p)
	if err != nil {
		return corruptf(off, -1, "fill: %v", err)
	}
	if ps := uint64(v.src.hdr.PageSize); f.Start%ps != 0 || f.End%ps != 0 {
		return corruptf(off, f.Region, "fill %#x-%#x is not page-aligned", f.Start, f.End)
	}
	if f.State == PageInherit && !(v.pre.seen && v.pre.frozen) {
		return corruptf(off, f.Region, "an as-pre-copied fill outside the final section of a pre-copied archive")
	}
	g, err := v.span(f.Region, f.Start, f.End, off)
	if err != nil {
		return err
	}
	if f.State == PageInherit {
		v.inherit(g, f.Start, f.End)
		return nil
	}
	g.fc.fill(f.State, f.Start, f.End, g.desc.Skip != "")
	return nil
}

// footer closes the open region: its hash and counts against the footer.
func (v *streamVerifier) footer(p []byte, off int64) error {
	f, err := decodeFooter(p)
	if err != nil {
		return corruptf(off, -1, "region footer: %v", err)
	}
	g := v.open
	switch {
	case (g == nil || g.desc.Index != f.Index) && f.Index <= v.last:
		return corruptf(off, f.Index, "footer for region %d, which is not the open region: a second footer, or %s", f.Index, outOfOrder)
	case g == nil || g.desc.Index != f.Index:
		return corruptf(off, f.Index, "footer for a region with no descriptor, or a second footer")
	}
	g.gap(g.desc.End)
	if !g.bad {
		for _, m := range g.missing {
			v.problem(m)
		}
		for _, pr := range g.fc.compare(g.desc, g.off, &f) {
			v.problem(pr)
		}
	}
	v.open = nil
	return nil
}

// damagedChunk takes a chunk record whose checksum failed in place, as
// Verify does with a file's index, when a record follows it: the region is
// damaged, the stream is not cut (scanRecords' keep).
func (v *streamVerifier) damagedChunk(typ recType, p []byte, off, n int64, err error) bool {
	p = bytes.Clone(p) // followedByRecord reads on, which may move p
	if typ != recChunk || !v.src.followedByRecord(off, n) {
		return false
	}
	if !v.chunkInPlace(p, off, n, strings.TrimPrefix(reason(err), recChunk.String()+": ")) {
		return false
	}
	v.trailer = nil
	v.idx.add(entryOf(v.src.hdr, recChunk, p, off, n, v.openDesc))
	return true
}

// chunkInPlace accounts a damaged chunk record of n bytes at off as the
// next span of the open region when the region, start and page count its
// header begins with fit there (they are not checked: the damage may be
// anywhere), and reports why it is damaged.
func (v *streamVerifier) chunkInPlace(p []byte, off, n int64, why string) bool {
	hdr := v.src.hdr
	d := dec{b: p}
	region := int(d.u32())
	d.u32()
	start, pages := d.u64(), d.u32()
	end := start + uint64(pages)*uint64(hdr.PageSize)
	if d.err != nil || pages == 0 || uint64(pages)*uint64(hdr.PageSize) > uint64(hdr.ChunkSize) ||
		checkChunkSpan(hdr, region, start, end, off, n) != nil {
		return false
	}
	g, err := v.span(region, start, end, off)
	if err != nil {
		return false
	}
	v.problem(Problem{region, off, fmt.Sprintf("chunk at %#x: %s", start, why)})
	g.bad = true
	return true
}
