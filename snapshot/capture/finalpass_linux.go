package capture

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// finalPiece is the most one final-pass read takes: small enough that the
// page is still in the CPU cache when it is fingerprinted.
const finalPiece = 256 << 10

// outKind is what the final pass found for a run of pages.
type outKind uint8

const (
	outInherit     outKind = iota // as the pre-copy recorded them
	outData                       // changed: the bytes are in the page store
	outZero                       // all zero, or never touched
	outUnreadable                 // the read failed, with errno
	outNotCaptured                // not read: the target died or the capture was interrupted
)

// outRun is a run of pages with one outcome.
type outRun struct {
	start, end uint64
	kind       outKind
	errno      uint32
	data       []byte // outData: the pages, in the page store
}

// unit is a part of the final plan handled as one: a run of a region, or a
// piece of one no larger than finalPiece.
type unit struct {
	plan       int
	start, end uint64
	kind       runKind
	out        []outRun
	st         regionEmit // how it was read
	done       bool
}

// finalPass re-reads, under the freeze, every page of the frozen plan that
// may have changed, and keeps only what differs from the pre-copy (with
// ModeWhole: everything).
type finalPass struct {
	s       *session
	plans   []regionPlan
	units   []unit
	emitted int   // units handed to the emitter
	err     error // why the pass, or writing what it kept, failed
	reread  atomic.Int64
	changed atomic.Int64
}

func (s *session) newFinalPass(plans []regionPlan) *finalPass {
	f := &finalPass{s: s, plans: plans}
	for i := range plans {
		for _, r := range plans[i].runs {
			if r.kind == runZero {
				f.units = append(f.units, unit{plan: i, start: r.start, end: r.end, kind: r.kind})
				continue
			}
			for a := r.start; a < r.end; {
				b := min((a/finalPiece+1)*finalPiece, r.end)
				f.units = append(f.units, unit{plan: i, start: a, end: b, kind: r.kind})
				a = b
			}
		}
	}
	return f
}

// run handles every unit with one worker per CPU. When the page store's
// budget runs out, the units done so far are written while frozen (the
// capture says it overflowed), the store is emptied, and the pass goes on.
func (f *finalPass) run(ctx context.Context, em *emitter) error {
	var total int64
	for i := range f.plans {
		total += f.plans[i].readBytes()
	}
	f.s.opts.progress(PhaseFrozen, 0, total)
	for from := 0; from < len(f.units); {
		full := f.runFrom(ctx, from, total)
		next := from
		for next < len(f.units) && f.units[next].done {
			next++
		}
		if next == len(f.units) || !full {
			return nil
		}
		f.s.res.Overflowed = true
		if err := f.emitDone(em, next); err != nil {
			return err
		}
		if err := f.s.aw.Flush(); err != nil {
			return err
		}
		f.s.store.reset()
		for i := next; i < len(f.units); i++ {
			f.units[i].out, f.units[i].done = nil, false
		}
		from = next
	}
	return nil
}

// runFrom handles units from `from` on in parallel until all are done or
// the store is full (it then returns true).
func (f *finalPass) runFrom(ctx context.Context, from int, total int64) bool {
	var next atomic.Int64
	next.Store(int64(from))
	var full atomic.Bool
	var wg sync.WaitGroup
	for range passWorkers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := f.newWorker()
			defer w.cw.close()
			for !full.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(f.units) {
					return
				}
				if !w.handle(ctx, &f.units[i]) {
					full.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	f.s.opts.progress(PhaseFrozen, f.reread.Load(), total) // from this goroutine only, as Options promises
	return full.Load()
}

// emitDone hands units [f.emitted, upto) to the emitter.
func (f *finalPass) emitDone(em *emitter, upto int) error {
	for ; f.emitted < upto; f.emitted++ {
		if err := em.unit(&f.units[f.emitted]); err != nil {
			return err
		}
	}
	return nil
}

// emitRest writes what the pass kept, after the thaw.
func (f *finalPass) emitRest(ctx context.Context, em *emitter, progress func(Phase, int64, int64)) error {
	total := f.changed.Load()
	em.onData = func(n int64) { progress(PhaseWriting, n, total) }
	em.stop, em.why = ctx, f.s.why(ctx)
	if err := f.emitDone(em, len(f.units)); err != nil {
		return err
	}
	return em.close("")
}

// passWorker handles units with its own read buffer and store slab.
type passWorker struct {
	f     *finalPass
	buf   []byte
	sw    slabWriter
	out   outBuilder
	cw    changeWorker
	dirty []bool // per page of a unit: may have been written since the pre-copy
}

func (f *finalPass) newWorker() *passWorker {
	cw, err := f.s.changes.worker()
	if err != nil {
		cw = rereadAll{} // without the kernel's answer, read everything again: exact anyway
	}
	return &passWorker{f: f, buf: make([]byte, finalPiece), sw: slabWriter{store: f.s.store}, cw: cw,
		dirty: make([]bool, finalPiece/f.s.pageSize)}
}

// handle fills u.out. It returns false, leaving u not done, when the page
// store's budget is used up.
func (w *passWorker) handle(ctx context.Context, u *unit) bool {
	w.out = outBuilder{}
	cur := w.f.s.fps.cursor(u.start)
	if u.kind == runZero {
		w.zeroRun(&cur, u.start, u.end)
	} else if !w.readRun(ctx, &cur, u) {
		w.sw.drop()
		return false
	}
	u.out, u.done = w.out.runs, true
	return true
}

// zeroRun: pages known zero without reading are as pre-copied where the
// pre-copy saw zero too. Runs the pre-copy knew zero are taken whole, so
// a sparse reservation of any size costs its touched pages.
func (w *passWorker) zeroRun(cur *fpCursor, a, b uint64) {
	ps := w.f.s.pageSize
	for addr := a; addr < b; {
		r, ok := cur.run(addr)
		switch {
		case !ok:
			end := min(b, cur.nextStart())
			w.out.add(addr, end, outZero, 0, nil, false)
			addr = end
		case r.fps == nil:
			end := min(b, r.end)
			w.out.add(addr, end, outInherit, 0, nil, false)
			addr = end
		default:
			kind := outZero
			if r.fps[(addr-r.start)/ps] == w.f.s.fps.zero {
				kind = outInherit
			}
			w.out.add(addr, addr+ps, kind, 0, nil, false)
			addr += ps
		}
	}
}

// readRun handles a unit of pages to read: those that may have changed
// since the pre-copy are read again and compared; the others (only with
// write tracking) are as pre-copied, where the pre-copy has them.
func (w *passWorker) readRun(ctx context.Context, cur *fpCursor, u *unit) bool {
	s := w.f.s
	ps := s.pageSize
	p := &w.f.plans[u.plan]
	dirty := w.dirty[:(u.end-u.start)/ps]
	if err := w.cw.written(p, u.start, dirty); err != nil {
		_ = rereadAll{}.written(p, u.start, dirty)
	}
	for i := 0; i < len(dirty); {
		j := i + 1
		for j < len(dirty) && dirty[j] == dirty[i] {
			j++
		}
		a, b := u.start+uint64(i)*ps, u.start+uint64(j)*ps
		if dirty[i] {
			if !w.reread(ctx, cur, u, p, a, b) {
				return false
			}
		} else if !w.unwritten(ctx, cur, u, p, a, b) {
			return false
		}
		i = j
	}
	return true
}

// unwritten takes pages the kernel saw unwritten as pre-copied, and reads
// those the pre-copy has no fingerprint of.
func (w *passWorker) unwritten(ctx context.Context, cur *fpCursor, u *unit, p *regionPlan, a, b uint64) bool {
	ps := w.f.s.pageSize
	for addr := a; addr < b; addr += ps {
		if _, ok := cur.at(addr, ps); ok {
			w.out.add(addr, addr+ps, outInherit, 0, nil, false)
		} else if !w.reread(ctx, cur, u, p, addr, addr+ps) {
			return false
		}
	}
	return true
}

// reread reads [a, b) of a unit again and compares each page with the
// pre-copy.
func (w *passWorker) reread(ctx context.Context, cur *fpCursor, u *unit, p *regionPlan, a, b uint64) bool {
	s := w.f.s
	pc := &piece{start: a, buf: w.buf[:b-a], file: fileOf(p, u.kind), useMem: p.useMem}
	s.cp.readPiece(ctx, pc)
	u.st.note(pc)
	w.f.reread.Add(int64(pc.done))
	ps := int(s.pageSize)
	fi := 0
	for i := 0; i < pc.done; i += ps {
		if !w.page(cur, a+uint64(i), pc.buf[i:i+ps], pc, &fi) {
			return false
		}
	}
	if stop := a + uint64(pc.done); stop < b {
		w.out.add(stop, b, outNotCaptured, 0, nil, false)
	}
	return true
}

// page decides one re-read page: unchanged (as pre-copied), unreadable,
// zero, or changed (copied into the store).
func (w *passWorker) page(cur *fpCursor, addr uint64, b []byte, pc *piece, fi *int) bool {
	s := w.f.s
	ps := uint64(len(b))
	errno, failed := pc.failAt(addr, fi)
	var zero bool
	if s.opts.Mode == ModePrecopy {
		var fp uint64
		if failed {
			fp = s.keyed.unreadable(errno)
		} else {
			fp = s.keyed.page(b)
		}
		if pre, ok := cur.at(addr, ps); ok && pre == fp {
			w.out.add(addr, addr+ps, outInherit, 0, nil, false)
			return true
		}
		zero = !failed && fp == s.keyed.zero
	} else {
		zero = !failed && bytes.Equal(b, zeroPage(len(b)))
	}
	switch {
	case failed:
		w.out.add(addr, addr+ps, outUnreadable, errno, nil, false)
	case zero:
		w.out.add(addr, addr+ps, outZero, 0, nil, false)
	default:
		kept, follows, ok := w.sw.put(b)
		if !ok {
			return false
		}
		w.f.changed.Add(int64(ps))
		w.out.add(addr, addr+ps, outData, 0, kept, follows)
	}
	return true
}

// passWorkers is how many goroutines read under the freeze: one per CPU.
func passWorkers() int { return max(2, runtime.GOMAXPROCS(0)) }

// outBuilder appends outcomes, merging each into the run before it when
// they are of one kind and adjacent (and, for data, adjacent in the store).
type outBuilder struct{ runs []outRun }

func (o *outBuilder) add(a, b uint64, kind outKind, errno uint32, data []byte, follows bool) {
	if n := len(o.runs); n > 0 {
		last := &o.runs[n-1]
		if last.end == a && last.kind == kind && last.errno == errno && (kind != outData || follows) {
			last.end = b
			if kind == outData {
				last.data = last.data[:len(last.data)+len(data)]
			}
			return
		}
	}
	o.runs = append(o.runs, outRun{start: a, end: b, kind: kind, errno: errno, data: data})
}

var zeroPages sync.Map // page size → all-zero page

func zeroPage(n int) []byte {
	if z, ok := zeroPages.Load(n); ok {
		return z.([]byte)
	}
	z, _ := zeroPages.LoadOrStore(n, make([]byte, n))
	return z.([]byte)
}
