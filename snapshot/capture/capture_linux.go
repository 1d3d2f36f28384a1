package capture

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/procfs"
	"github.com/procsnap/procsnap/snapshot/internal/ptrace"
)

// Run captures process pid into an archive written to w, which is not
// closed. By default (ModePrecopy) it copies the memory while the process
// runs, freezes it, re-reads every resident page and keeps what changed,
// thaws it, and writes the changed pages: the archive shows the process at
// one instant of the freeze, and capture's memory is bounded by the pages
// that changed, not by the process's size.
//
// On success the Result describes a complete archive. When an archive was
// written but does not hold the whole capture (the target exited, ctx was
// cancelled, a step failed after the archive began), the Result comes
// with an *IncompleteError. Any other error means no usable archive was
// written; the target is thawed in every case.
func Run(ctx context.Context, pid int, w io.Writer, opts Options) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	return newSession(pid, opts).run(ctx, w)
}

func newSession(pid int, opts Options) *session {
	return &session{pfs: procfs.Default(), pid: pid, opts: opts, pageSize: uint64(os.Getpagesize()),
		res: &Result{PID: pid, Mode: opts.Mode}, changes: rereadAll{}}
}

// session is one capture's state, from preflight to the trailer.
type session struct {
	pfs      procfs.FS
	pid      int
	opts     Options
	pageSize uint64
	res      *Result
	aw       *format.Writer
	cp       *copier
	keyed    *keyedHash
	fps      fingerprints // what the pre-copy saw
	fpMem    fpArena      // where fps keeps them
	changes  changeSource
	store    *pageStore // pages kept under the freeze
	frozen   *ptrace.Frozen
	meta     *format.Meta
	freeze   format.Freeze
	precopy  regionCounts // bytes the pre-copy read
	plans    []regionPlan // of the frozen maps
}

// regionCounts counts bytes read, for progress and the end record.
type regionCounts struct{ read, total int64 }

func (s *session) run(ctx context.Context, w io.Writer) (*Result, error) {
	defer s.release()
	if e := s.start(ctx, w); e != nil {
		return e.res, e.err
	}
	if e := s.freezeOrEnd(ctx); e != nil {
		return e.res, e.err
	}
	defer s.thaw()
	return s.frozenPhase(ctx)
}

// start does everything before the freeze: preflight, metadata, the
// archive's beginning and the pre-copy. A non-nil ended says that the
// capture ended there.
func (s *session) start(ctx context.Context, w io.Writer) *ended {
	s.opts.progress(PhasePreparing, 0, 0)
	st, err := preflight(s.pfs, s.pid)
	if err != nil {
		return &ended{err: err}
	}
	if err := s.prepare(st); err != nil {
		return &ended{err: err}
	}
	if s.aw, err = format.NewWriter(w, format.WriterOptions{PageSize: int(s.pageSize), ChunkSize: s.opts.ChunkSize, Level: s.opts.Level}); err != nil {
		return &ended{err: err}
	}
	s.store = newPageStore(s.budget())
	s.res.BufferBytes = s.store.budget
	s.meta.CaptureStart, s.meta.CaptureStartMono = time.Now().UTC(), monoNow()
	_ = s.aw.WriteMeta(s.meta)
	if s.opts.Mode != ModePrecopy {
		s.store.reserve(s.planNeed())
		return nil
	}
	if err := s.changes.begin(); err != nil {
		s.aw.Abort()
		return &ended{err: fmt.Errorf("--track-writes: clear the soft-dirty bits of PID %d: %w", s.pid, err)}
	}
	s.freeze.PrecopyStart = s.meta.CaptureStart
	if err := s.precopyAll(ctx); err != nil {
		return s.endIncomplete(ctx, "the pre-copy", err)
	}
	s.freeze.PrecopyEnd = time.Now().UTC()
	s.store.reserve(precopyReserve)
	return nil
}

// freezeOrEnd freezes the target; a non-nil ended says that it could not,
// and the capture ended.
func (s *session) freezeOrEnd(ctx context.Context) *ended {
	err := s.freezeTarget(ctx)
	if err == nil {
		return nil
	}
	// A target that exited, or an interrupt, leaves an honest pre-copy;
	// a freeze that was refused is a failed capture.
	if s.opts.Mode == ModePrecopy && (ctx.Err() != nil || s.targetErr(err) == ErrTargetExited) {
		return s.endIncomplete(ctx, "the freeze", ErrTargetExited)
	}
	s.aw.Abort()
	return &ended{err: err}
}

// endIncomplete closes the archive as incomplete (closeIncomplete).
func (s *session) endIncomplete(ctx context.Context, stage string, cause error) *ended {
	res, err := s.closeIncomplete(ctx, stage, cause)
	return &ended{res, err}
}

// release frees what the capture held: /proc/PID/mem, the page store and
// the fingerprints.
func (s *session) release() {
	if s.cp != nil {
		s.cp.close()
	}
	if s.store != nil {
		s.store.release()
	}
	s.fps.runs = nil
	s.fpMem.release()
}

// prepare gathers the metadata and opens what reading needs, before
// anything is written: a target that cannot be read leaves no archive.
func (s *session) prepare(st procfs.Status) error {
	maps, err := s.pfs.MapsRunning(s.pid)
	if err != nil && s.exiting() || err == nil && len(maps) == 0 && s.exitingNoMaps() {
		return fmt.Errorf("PID %d exited before the capture began: nothing was captured", s.pid)
	}
	if err != nil {
		return fmt.Errorf("read maps of PID %d: %w", s.pid, err)
	}
	if len(maps) == 0 {
		return fmt.Errorf("PID %d has no memory mappings (a kernel thread?): nothing to capture", s.pid)
	}
	if s.opts.TrackWrites {
		if err := s.pfs.CheckSoftDirty(); err != nil {
			return fmt.Errorf("--track-writes: %w; capture without it (every resident page is then read again under the freeze)", err)
		}
		s.changes = softDirty{pfs: s.pfs, pid: s.pid, pageSize: int(s.pageSize)}
	}
	s.meta = gatherMeta(s.pfs, s.pid, st, s.opts)
	if s.keyed, err = newKeyedHash(int(s.pageSize)); err != nil {
		return fmt.Errorf("key for the page fingerprints: %w", err)
	}
	s.fps.zero = s.keyed.zero
	s.cp = &copier{pid: s.pid, pageSize: int(s.pageSize)}
	if f, err := s.pfs.OpenMem(s.pid); err == nil {
		s.cp.mem = f
	}
	return nil
}

// exiting reports whether the target is gone or a zombie.
func (s *session) exiting() bool {
	st, err := s.pfs.Stat(s.pid)
	return err != nil || st.State == 'Z' || st.State == 'X'
}

// exitingNoMaps: a process without mappings is exiting unless it is a
// kernel thread (it released its memory on the way out, before it became
// a zombie).
func (s *session) exitingNoMaps() bool {
	st, err := s.pfs.Stat(s.pid)
	return err != nil || !st.KernelThread()
}

// precopyReserve is how much of the page store is faulted in before a
// pre-copied freeze: room for the pages that changed meanwhile, without
// page faults in procsnap while the target waits. More is mapped on demand.
const precopyReserve = 64 << 20

// budget bounds the pages kept under the freeze: the user's --buffer, or
// half of MemAvailable.
func (s *session) budget() int64 {
	if s.opts.BufferSize > 0 {
		return s.opts.BufferSize
	}
	if avail := s.pfs.MemAvailable(); avail > 0 {
		return avail / 2
	}
	return 1 << 30
}

// planNeed is how many bytes a plan of the running target reads (0 if the
// maps cannot be read: the freeze then reports why).
func (s *session) planNeed() int64 {
	maps, err := s.pfs.MapsRunning(s.pid)
	if err != nil {
		return 0
	}
	plans := makePlan(s.pfs, s.pid, maps, int(s.pageSize), s.opts.IncludeUnreadable)
	closePlans(plans)
	return plansNeed(plans)
}

func plansNeed(plans []regionPlan) int64 {
	var need int64
	for i := range plans {
		need += plans[i].readBytes()
	}
	return need
}
