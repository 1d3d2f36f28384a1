package format

import (
	"errors"
	"fmt"
)

// BeginRegion opens the next region: its descriptor is written before any
// of its data. Regions are numbered 0, 1, 2, ... in the order they are
// begun. A region with a non-empty Skip takes no data: end it at once.
func (w *Writer) BeginRegion(d RegionDesc) error {
	if err := w.Err(); err != nil {
		return err
	}
	if w.open != nil {
		return fmt.Errorf("region %d begun while region %d is open", d.Index, w.open.desc.Index)
	}
	if d.Index != w.nextRegion {
		return fmt.Errorf("region index %d out of order (want %d)", d.Index, w.nextRegion)
	}
	ps := uint64(w.opts.PageSize)
	if d.End < d.Start || d.Start%ps != 0 || d.End%ps != 0 {
		return fmt.Errorf("region %d bounds %#x-%#x are not page-aligned and ordered", d.Index, d.Start, d.End)
	}
	if w.nextRegion > 0 && d.Start < w.regionEnd && !w.opts.Unordered {
		return fmt.Errorf("region %d %#x-%#x overlaps or precedes the region before it, which ends at %#x: regions go in address order, as one maps listing shows them", d.Index, d.Start, d.End, w.regionEnd)
	}
	for _, s := range []string{d.Path, d.MapsLine, d.Skip} {
		if len(s) > MaxStringLen {
			return fmt.Errorf("region %d: a string field of %d bytes is above the limit %d", d.Index, len(s), MaxStringLen)
		}
	}
	w.nextRegion++
	w.regionEnd = d.End
	w.open = &openRegion{desc: d, cursor: d.Start}
	t := w.regionType()
	w.enqueue(&job{kind: jobRecord, typ: t, region: d.Index, start: d.Start, end: d.End, rec: appendRecord(nil, t, d.encode())})
	return nil
}

// ErrRunOrder is the invariant every region's contents obey, in the
// writer and in a capture plan alike: runs are page aligned and non-empty,
// each starts where the one before ended, and they stay inside the region.
var ErrRunOrder = errors.New("a region's runs must be page aligned, contiguous and inside the region")

// CheckRun checks that the run [addr, end) may follow a run that ended at
// cursor in region d. The error wraps ErrRunOrder and names the region.
func CheckRun(d RegionDesc, cursor, addr, end uint64, pageSize int) error {
	ps := uint64(pageSize)
	switch {
	case addr != cursor:
		return fmt.Errorf("region %d: run at %#x, want the next address %#x: %w", d.Index, addr, cursor, ErrRunOrder)
	case end < addr || end > d.End:
		return fmt.Errorf("region %d: run %#x-%#x outside the region %#x-%#x: %w", d.Index, addr, end, d.Start, d.End, ErrRunOrder)
	case end%ps != 0:
		return fmt.Errorf("region %d: run end %#x is not page-aligned: %w", d.Index, end, ErrRunOrder)
	}
	return nil
}

// Regions says how far the caller has come: the index of the open region
// (-1 if none) and the index the next BeginRegion must use.
func (w *Writer) Regions() (open, next int) {
	open = -1
	if w.open != nil {
		open = w.open.desc.Index
	}
	return open, w.nextRegion
}

// checkRun validates a run [addr, end) for the open region.
func (w *Writer) checkRun(addr, end uint64) (*openRegion, error) {
	if err := w.Err(); err != nil {
		return nil, err
	}
	r := w.open
	if r == nil {
		return nil, fmt.Errorf("no region is open")
	}
	if r.desc.Skip != "" {
		return nil, fmt.Errorf("region %d is skipped (%s) and takes no data", r.desc.Index, r.desc.Skip)
	}
	if err := CheckRun(r.desc, r.cursor, addr, end, w.opts.PageSize); err != nil {
		return nil, err
	}
	return r, nil
}

// WriteData adds the bytes at [addr, addr+len(data)) of the open region.
// The writer keeps data until Flush or Close returns: do not change it
// before then.
func (w *Writer) WriteData(addr uint64, data []byte) error {
	return w.WriteDataRelease(addr, data, nil)
}

// WriteDataRelease is WriteData that calls release (if not nil) once the
// writer no longer needs data, which may be long before Flush and on
// another goroutine: a caller can then reuse its buffer, and a capture
// keeps its memory bounded by a few buffers. release is called exactly
// once, also when WriteDataRelease fails.
func (w *Writer) WriteDataRelease(addr uint64, data []byte, release func()) error {
	end := addr + uint64(len(data))
	r, err := w.checkRun(addr, end)
	if err != nil || len(data) == 0 {
		if release != nil {
			release()
		}
		return err
	}
	w.queuePending(r)
	cs := uint64(w.opts.ChunkSize)
	rel := newReleaser(release, int((end-1)/cs-addr/cs+1))
	for addr < end {
		next := min((addr/cs+1)*cs, end)
		piece := data[:next-addr]
		data = data[next-addr:]
		j := &job{kind: jobChunk, typ: w.chunkType(), region: r.desc.Index, start: addr, end: next,
			chunk: chunkWork{data: piece, done: make(chan struct{}), release: rel}}
		w.enqueue(j)
		w.work <- j
		addr = next
	}
	w.coverPrecopy(r.cursor, end)
	r.cursor = end
	return nil
}

// WriteFill records [addr, end) of the open region as zero, unreadable
// (with errno) or not captured, storing no bytes. Adjacent fills of the
// same state and errno are merged into one record.
func (w *Writer) WriteFill(addr, end uint64, state PageState, errno uint32) error {
	r, err := w.checkRun(addr, end)
	if err != nil {
		return err
	}
	if state == PageData || state > PageInherit {
		return fmt.Errorf("fill state %v: want zero, unreadable, not-captured or as-pre-copied", state)
	}
	if end == addr {
		return nil
	}
	if state == PageInherit {
		if err := w.checkInherit(addr, end); err != nil {
			return fmt.Errorf("region %d: %w", r.desc.Index, err)
		}
	}
	w.coverPrecopy(addr, end)
	if p := r.pending; p != nil && p.State == state && p.Errno == errno && p.End == addr {
		p.End = end
	} else {
		w.queuePending(r)
		r.pending = &fill{Region: r.desc.Index, State: state, Start: addr, End: end, Errno: errno}
	}
	r.cursor = end
	return nil
}

func (w *Writer) queuePending(r *openRegion) {
	if f := r.pending; f != nil {
		r.pending = nil
		t := w.fillType()
		w.enqueue(&job{kind: jobRecord, typ: t, region: f.Region, start: f.Start, end: f.End, fill: f,
			rec: appendRecord(nil, t, f.encode())})
	}
}

// EndRegion closes the open region: pages not yet written are recorded as
// not captured, and the footer is written with the region's final state,
// counters and hash. method says how the bytes were read; message says why
// the region is partial, if it is.
func (w *Writer) EndRegion(method Method, message string) error {
	if err := w.Err(); err != nil {
		return err
	}
	r := w.open
	if r == nil {
		return fmt.Errorf("no region is open")
	}
	if r.desc.Skip == "" && r.cursor < r.desc.End {
		if err := w.WriteFill(r.cursor, r.desc.End, PageNotCaptured, 0); err != nil {
			return err
		}
	}
	w.queuePending(r)
	w.open = nil
	if w.precopy {
		return nil // a pre-copy region has no footer: the final section's regions do
	}
	desc := r.desc
	w.enqueue(&job{kind: jobBuilt, typ: recFooter, region: desc.Index, start: desc.Start, end: desc.End,
		build: func() []byte { return w.o.footerPayload(desc, method, message) }})
	return nil
}
