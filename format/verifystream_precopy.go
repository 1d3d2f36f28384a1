package format

// How VerifyStream checks the pre-copy section of a version 2 archive and
// the final section's as-pre-copied fills.

import "encoding/json"

// streamPrecopy is what the stream verifier keeps of the pre-copy: each
// page's state and hash by address (9 bytes a page, as the writer keeps),
// to account the as-pre-copied fills of the final section.
type streamPrecopy struct {
	seen   bool // a pre-copy record passed
	frozen bool // the freeze record passed
	pages  precopyPages
	last   int // index of the last pre-copy region begun
	open   *RegionDesc
	cursor uint64
}

// precopyRecord checks a record of the pre-copy section or the freeze record.
func (v *streamVerifier) precopyRecord(typ recType, p []byte, off, n int64) error {
	pc := &v.pre
	if typ == recFreeze {
		return v.freezeRecord(p, off)
	}
	if pc.frozen {
		return corruptf(off, -1, "%s after the freeze record", typ)
	}
	if !pc.seen {
		pc.seen, pc.last = true, -1
	}
	switch typ {
	case recPrecopyRegion:
		d, err := decodeDesc(p, uint64(v.src.hdr.PageSize))
		if err != nil {
			return corruptf(off, -1, "pre-copy region descriptor: %v", err)
		}
		if d.Index <= pc.last {
			return corruptf(off, d.Index, "pre-copy region %d comes after %d: %s", d.Index, pc.last, outOfOrder)
		}
		pc.last, pc.open, pc.cursor = d.Index, &d, d.Start
		return nil
	case recPrecopyChunk:
		return v.precopyChunk(p, off, n)
	}
	f, err := decodeFill(p)
	if err != nil || f.State == PageInherit {
		return corruptf(off, -1, "pre-copy fill: state %d, %v", f.State, err)
	}
	if err := v.precopySpan(f.Region, f.Start, f.End, off); err != nil {
		return err
	}
	pc.pages.add(preRun{start: f.Start, end: f.End, state: f.State, errno: f.Errno})
	return nil
}

// precopySpan checks that [start, end) comes next in the open pre-copy region.
func (v *streamVerifier) precopySpan(region int, start, end uint64, off int64) error {
	pc := &v.pre
	if pc.open == nil || pc.open.Index != region {
		return corruptf(off, region, "pre-copy data for region %d outside its descriptor: %s", region, outOfOrder)
	}
	if err := checkSpan(*pc.open, pc.cursor, start, end, off); err != nil {
		return err
	}
	if n := len(pc.pages.runs); n > 0 && start < pc.pages.runs[n-1].end {
		return corruptf(off, region, "pre-copy span %#x-%#x overlaps the one before it", start, end)
	}
	pc.cursor = end
	return nil
}

// precopyChunk checks a pre-copy chunk and every page hash in it, and
// keeps its page states and hashes.
func (v *streamVerifier) precopyChunk(p []byte, off, n int64) error {
	hdr := v.src.hdr
	h, err := parseChunkHead(p, int(hdr.PageSize), int(hdr.ChunkSize))
	if err != nil {
		return corruptf(off, -1, "pre-copy chunk: %v", err)
	}
	end := h.Start + uint64(len(h.States))*uint64(hdr.PageSize)
	if err := checkChunkSpan(hdr, h.Region, h.Start, end, off, n); err != nil {
		return err
	}
	if err := v.precopySpan(h.Region, h.Start, end, off); err != nil {
		return err
	}
	data, err := chunkBytes(h, p[chunkHeadLen(len(h.States)):], int(hdr.PageSize), v.zdec, false, v.scratch)
	if err != nil {
		v.problem(Problem{-1, off, "pre-copy region " + itoa(h.Region) + ": " + reason(corruptf(off, h.Region, "chunk at %#x: %v", h.Start, err))})
		return nil // its pages are not kept: fills that inherit them read as missing
	}
	v.scratch = data
	v.pre.pages.add(preRun{start: h.Start, end: end, state: PageData, states: h.States, hashes: h.Hashes})
	return nil
}

func (v *streamVerifier) freezeRecord(p []byte, off int64) error {
	var f Freeze
	if err := checkJSONValues(p, MaxEndLen); err != nil {
		return corruptf(off, -1, "freeze record: %v", err)
	}
	if err := json.Unmarshal(p, &f); err != nil {
		return corruptf(off, -1, "freeze record: %v", err)
	}
	if v.pre.frozen {
		return corruptf(off, -1, "a second freeze record")
	}
	v.pre.frozen, v.pre.open = true, nil
	return nil
}

// inherit accounts an as-pre-copied fill of the open final region by the
// pre-copy's pages at its addresses; pages the pre-copy has no record of
// are missing.
func (v *streamVerifier) inherit(g *regionCheck, start, end uint64) {
	at := start
	v.pre.pages.each(start, end, uint64(v.src.hdr.PageSize), func(f fill, hash uint64, page bool) {
		if f.Start > at {
			g.missingPages(at, f.Start)
		}
		if page {
			g.fc.page(f.State, hash)
		} else {
			g.fc.fill(f.State, f.Start, f.End, g.desc.Skip != "")
		}
		at = f.End
	})
	if at < end {
		g.missingPages(at, end)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
