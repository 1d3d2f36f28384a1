package capture

import (
	"context"
	"fmt"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/snapshot/internal/ptrace"
)

// freezeTarget stops every task of the target (PTRACE_SEIZE + INTERRUPT,
// see snapshot/internal/ptrace).
func (s *session) freezeTarget(ctx context.Context) error {
	fctx, cancel := context.WithTimeout(ctx, s.opts.FreezeTimeout)
	defer cancel()
	s.freeze.Start, s.freeze.StartMono = time.Now().UTC(), monoNow()
	f, err := ptrace.Freeze(fctx, s.pid, func() ([]int, error) { return s.pfs.Tasks(s.pid) })
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w while freezing PID %d (it was not left stopped)", context.Cause(ctx), s.pid)
		}
		return explainAttach(s.pfs, s.pid, err)
	}
	s.frozen = f
	return nil
}

// thaw detaches every task once; the freeze ends here.
func (s *session) thaw() error {
	if s.frozen == nil {
		return nil
	}
	err := s.frozen.Thaw()
	if s.res.Frozen == 0 {
		s.res.Frozen = time.Since(s.freeze.Start)
	}
	return err
}

// registers reads every frozen thread's register sets, leader first.
func (s *session) registers() []format.Thread {
	var out []format.Thread
	for _, tid := range s.frozen.Tasks() {
		sets, err := s.frozen.Registers(tid)
		if err != nil {
			continue // the thread died while frozen: it has no registers to record
		}
		out = append(out, format.Thread{TID: tid, RegSets: sets})
	}
	return out
}

// frozenPhase records the frozen state (maps, auxv, registers), plans
// from the frozen maps, runs the final pass, thaws, and writes.
func (s *session) frozenPhase(ctx context.Context) (*Result, error) {
	fp, em, e := s.finalState(ctx)
	if e != nil {
		return e.res, e.err
	}
	thawErr := s.thaw()
	return s.afterThaw(ctx, fp, em, thawErr)
}

// ended is a capture that ended early, as Run returns it.
type ended struct {
	res *Result
	err error
}

// finalState, with the target frozen, records maps, auxv and registers,
// plans from the frozen maps, writes the freeze record, and runs the final
// pass (its error in fp.err). A non-nil ended means the capture is over
// (the maps could not be read); the caller still thaws.
func (s *session) finalState(ctx context.Context) (*finalPass, *emitter, *ended) {
	rawMaps, maps, err := s.pfs.Maps(s.pid)
	if err != nil {
		s.thaw()
		return nil, nil, s.endIncomplete(ctx, "the freeze", fmt.Errorf("read maps of frozen PID %d: %w", s.pid, err))
	}
	auxv, _, _ := s.pfs.Auxv(s.pid)
	threads := s.registers()
	s.plans = makePlan(s.pfs, s.pid, maps, int(s.pageSize), s.opts.IncludeUnreadable)
	s.freeze.Mode, s.freeze.Changes = string(s.opts.Mode), s.changes.name()
	if s.opts.Mode == ModePrecopy {
		s.freeze.KeyedHash = keyedHashName
	}
	_ = s.aw.WriteFreeze(s.freeze)
	_ = s.aw.WriteMaps(rawMaps)
	_ = s.aw.WriteAuxv(auxv)
	for _, t := range threads {
		_ = s.aw.WriteThread(t)
	}
	s.res.Threads, s.res.Regions = len(threads), len(s.plans)
	em := newEmitter(s.aw, s.plans)
	fp := s.newFinalPass(s.plans)
	fp.err = fp.run(ctx, em)
	return fp, em, nil
}

// afterThaw writes what the final pass kept and closes the archive.
func (s *session) afterThaw(ctx context.Context, fp *finalPass, em *emitter, thawErr error) (*Result, error) {
	defer closePlans(s.plans)
	if fp.err == nil {
		fp.err = fp.emitRest(ctx, em, s.opts.progress)
	}
	return s.finish(ctx, em, fp, fp.err, thawErr)
}
