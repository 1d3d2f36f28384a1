package capture

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/procfs"
)

// precopyPiece is the most one pre-copy read takes; pieces end at chunk
// boundaries so that each becomes whole chunks.
const precopyPiece = 1 << 20

// precopyAll copies every planned region while the target runs, as the
// archive's pre-copy section, and keeps each page's keyed fingerprint for
// the final pass. Memory stays at a few buffers: each goes back to the pool
// as soon as the archive writer has compressed it.
func (s *session) precopyAll(ctx context.Context) error {
	maps, err := s.pfs.MapsRunning(s.pid)
	if err != nil {
		return s.targetErr(err)
	}
	plans := makePlan(s.pfs, s.pid, maps, int(s.pageSize), s.opts.IncludeUnreadable)
	defer closePlans(plans)
	if err := s.aw.BeginPrecopy(); err != nil {
		return err
	}
	s.precopy.total = plansNeed(plans)
	pool := newBufPool(2*runtime.GOMAXPROCS(0)+2, max(precopyPiece, s.opts.ChunkSize))
	for i := range plans {
		if err := s.precopyRegion(ctx, &plans[i], pool); err != nil {
			return err
		}
	}
	s.res.PrecopyBytes = uint64(s.precopy.read)
	return s.aw.Flush()
}

// precopyRegion writes one pre-copy region.
func (s *session) precopyRegion(ctx context.Context, p *regionPlan, pool *bufPool) error {
	if err := s.aw.BeginRegion(p.desc); err != nil {
		return err
	}
	var st regionEmit
	var stop error
	for _, r := range p.runs {
		if stop != nil {
			break
		}
		if r.kind == runZero {
			s.fps.add(fpRun{start: r.start, end: r.end})
			stop = s.aw.WriteFill(r.start, r.end, format.PageZero, 0)
			continue
		}
		stop = s.precopyRun(ctx, p, r, pool, &st)
	}
	if err := s.aw.EndRegion(methodOf(&st), ""); err != nil {
		return err
	}
	return stop
}

// precopyRun reads a run in pieces, fingerprints each page and hands the
// pieces to the writer.
func (s *session) precopyRun(ctx context.Context, p *regionPlan, r planRun, pool *bufPool, st *regionEmit) error {
	cs := uint64(max(precopyPiece, s.opts.ChunkSize))
	for a := r.start; a < r.end; {
		b := min((a/cs+1)*cs, r.end)
		buf := pool.get()
		pc := &piece{start: a, buf: buf[:b-a], file: fileOf(p, r.kind), useMem: p.useMem}
		s.cp.readPiece(ctx, pc)
		st.note(pc)
		fps := s.fpMem.alloc(pc.done / int(s.pageSize))
		s.fingerprint(pc, fps)
		s.fps.add(fpRun{start: a, end: a + uint64(pc.done), fps: fps})
		if err := s.writePiece(pc, func() { pool.put(buf) }); err != nil {
			return err
		}
		s.precopy.read += int64(pc.done)
		s.opts.progress(PhasePrecopy, s.precopy.read, s.precopy.total)
		if pc.done < len(pc.buf) {
			return s.stopped(ctx)
		}
		a = b
	}
	return nil
}

// fileOf is the file a run of this kind reads from, if it reads from one.
func fileOf(p *regionPlan, kind runKind) *procfs.MapFile {
	if kind == runFile {
		return p.file
	}
	return nil
}

// fingerprint fills fps with the keyed fingerprint of each handled page
// of pc: of its bytes, or of its read error.
func (s *session) fingerprint(pc *piece, fps []uint64) {
	ps := int(s.pageSize)
	fi := 0
	for i := range fps {
		addr := pc.start + uint64(i*ps)
		if errno, failed := pc.failAt(addr, &fi); failed {
			fps[i] = s.keyed.unreadable(errno)
			continue
		}
		fps[i] = s.keyed.page(pc.buf[i*ps : (i+1)*ps])
	}
}

// writePiece hands the handled part of a piece to the writer: data as
// chunks, failed pages as unreadable fills. release runs once the writer
// no longer needs the buffer.
func (s *session) writePiece(pc *piece, release func()) error {
	refs := &atomic.Int32{}
	refs.Store(1)
	drop := func() {
		if refs.Add(-1) == 0 {
			release()
		}
	}
	defer drop()
	at := pc.start
	stop := pc.start + uint64(pc.done)
	for _, f := range append(pc.fails, format.Range{Start: stop, End: stop}) {
		if f.Start > at {
			refs.Add(1)
			if err := s.aw.WriteDataRelease(at, pc.buf[at-pc.start:f.Start-pc.start], drop); err != nil {
				return err
			}
		}
		if f.End > f.Start {
			if err := s.aw.WriteFill(f.Start, f.End, format.PageUnreadable, f.Errno); err != nil {
				return err
			}
		}
		at = f.End
	}
	return nil
}

// stopped is why a read stopped short: the target died or ctx ended.
func (s *session) stopped(ctx context.Context) error {
	if s.cp.gone.Load() {
		return ErrTargetExited
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return errors.New("a read stopped short for no known reason")
}

// bufPool hands out a fixed number of equal buffers; get waits for one.
type bufPool struct{ ch chan []byte }

func newBufPool(n, size int) *bufPool {
	p := &bufPool{ch: make(chan []byte, n)}
	for range n {
		p.ch <- make([]byte, size)
	}
	return p
}

func (p *bufPool) get() []byte  { return <-p.ch }
func (p *bufPool) put(b []byte) { p.ch <- b[:cap(b)] }
