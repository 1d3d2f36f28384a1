package snapshot

import (
	"context"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/procfs"
)

// itemKind orders what capture hands the archive writer for a region.
type itemKind uint8

const (
	itemBegin itemKind = iota
	itemZero           // a run of untouched pages: recorded as zero, not read
	itemPiece          // a read into the copy buffer
	itemEnd
)

type item struct {
	kind       itemKind
	plan       int
	start, end uint64
	file       *procfs.MapFile // for a piece read from the shared object's file
	piece      *piece
}

// buildItems lays the plan out as the sequence of writer calls, with reads
// cut into pieces of at most limit bytes (buffers are assigned later).
func buildItems(plans []regionPlan, limit uint64, ps uint64) []item {
	limit = max(limit-limit%ps, ps)
	var items []item
	for i := range plans {
		items = append(items, item{kind: itemBegin, plan: i})
		for _, r := range plans[i].runs {
			if r.kind == runZero {
				items = append(items, item{kind: itemZero, plan: i, start: r.start, end: r.end})
				continue
			}
			var file *procfs.MapFile
			if r.kind == runFile {
				file = plans[i].file
			}
			for a := r.start; a < r.end; a += limit {
				b := min(a+limit, r.end)
				items = append(items, item{kind: itemPiece, plan: i, start: a, end: b, file: file})
			}
		}
		items = append(items, item{kind: itemEnd, plan: i})
	}
	return items
}

// nextBatch gives pieces from items[from:] slices of buf until it is full,
// splitting the piece that does not fit. It returns the end of the batch
// (exclusive) and the items, which may have grown by the split.
func nextBatch(items []item, from int, buf []byte, ps uint64) (int, []item) {
	used := uint64(0)
	size := uint64(len(buf))
	for i := from; i < len(items); i++ {
		it := &items[i]
		if it.kind != itemPiece {
			continue
		}
		n := it.end - it.start
		room := size - used
		if room < ps {
			return i, items
		}
		if n > room {
			room -= room % ps
			tail := item{kind: itemPiece, plan: it.plan, start: it.start + room, end: it.end, file: it.file}
			it.end = it.start + room
			items = append(items[:i+1], append([]item{tail}, items[i+1:]...)...)
			it = &items[i]
			n = room
		}
		it.piece = &piece{plan: it.plan, start: it.start, buf: buf[used : used+n : used+n], file: it.file}
		used += n
	}
	return len(items), items
}

// regionEmit tracks one region across the writer calls of its items.
type regionEmit struct {
	stopped  bool
	usedVM   bool
	usedMem  bool
	usedFile bool
	message  string
}

// emit hands a batch of copied items to the archive writer in order. A
// piece that stopped short (target gone, interrupted) ends its region's
// data: the rest of the region is recorded as not captured, with why.
// Once ctx is done no more data is written, even if it was copied: an
// interrupt after the thaw stops the compression and writing at once.
// onData is told how many bytes of each piece were handed to the writer
// (which compresses them before taking more), for progress.
func emit(ctx context.Context, aw *format.Writer, plans []regionPlan, state []regionEmit, items []item, why func() string, onData func(int64)) error {
	for _, it := range items {
		st := &state[it.plan]
		var err error
		switch it.kind {
		case itemBegin:
			err = aw.BeginRegion(plans[it.plan].desc)
		case itemZero:
			if !st.stopped {
				err = aw.WriteFill(it.start, it.end, format.PageZero, 0)
			}
		case itemPiece:
			if !st.stopped {
				err = emitPiece(ctx, aw, it.piece, st, why)
				if it.piece != nil {
					onData(int64(it.piece.done))
				}
			}
		case itemEnd:
			if st.stopped && st.message == "" {
				st.message = why()
			}
			err = aw.EndRegion(methodOf(st), st.message)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func emitPiece(ctx context.Context, aw *format.Writer, p *piece, st *regionEmit, why func() string) error {
	if p == nil || ctx.Err() != nil {
		st.stopped, st.message = true, why()
		return nil
	}
	if p.done < len(p.buf) {
		st.stopped, st.message = true, why()
	}
	st.usedVM = st.usedVM || p.usedVM
	st.usedMem = st.usedMem || p.usedMem
	st.usedFile = st.usedFile || p.usedFile
	at := p.start
	stop := p.start + uint64(p.done)
	for _, f := range append(p.fails, format.Range{Start: stop, End: stop}) {
		if f.Start > at {
			if err := aw.WriteData(at, p.buf[at-p.start:f.Start-p.start]); err != nil {
				return err
			}
		}
		if f.End > f.Start {
			if err := aw.WriteFill(f.Start, f.End, format.PageUnreadable, f.Errno); err != nil {
				return err
			}
		}
		at = f.End
	}
	return nil
}

func methodOf(st *regionEmit) format.Method {
	n := 0
	for _, used := range []bool{st.usedVM, st.usedMem, st.usedFile} {
		if used {
			n++
		}
	}
	switch {
	case n > 1:
		return format.MethodMixed
	case st.usedMem:
		return format.MethodProcMem
	case st.usedVM:
		return format.MethodVMReadv
	case st.usedFile:
		return format.MethodMapFile
	}
	return format.MethodNone
}
