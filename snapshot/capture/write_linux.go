package capture

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/procsnap/procsnap/format"
)

// regionEmit is how one region was read, and why it stopped short.
type regionEmit struct {
	usedVM, usedMem, usedFile bool
	stopped                   bool // some pages were not captured
}

// note adds how a piece was read.
func (st *regionEmit) note(p *piece) {
	st.usedVM = st.usedVM || p.usedVM
	st.usedMem = st.usedMem || p.usedMem
	st.usedFile = st.usedFile || p.usedFile
}

func (st *regionEmit) merge(o regionEmit) {
	st.usedVM, st.usedMem, st.usedFile = st.usedVM || o.usedVM, st.usedMem || o.usedMem, st.usedFile || o.usedFile
	st.stopped = st.stopped || o.stopped
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

// emitter writes the final section's regions from the final pass's units,
// in plan order, beginning and ending each region once.
type emitter struct {
	aw      *format.Writer
	plans   []regionPlan
	st      []regionEmit
	open    int // plan index of the open region, -1 if none
	next    int // plan index of the next region to begin
	closed  bool
	why     func() string // why pages were not captured
	onData  func(int64)   // bytes of data handed to the writer so far
	written int64
	// stop, once done, keeps further data out of the archive: an interrupt
	// after the thaw ends the compression and writing at once.
	stop context.Context
}

func newEmitter(aw *format.Writer, plans []regionPlan) *emitter {
	return &emitter{aw: aw, plans: plans, st: make([]regionEmit, len(plans)), open: -1,
		why: func() string { return "" }, onData: func(int64) {}, stop: context.Background()}
}

// enter makes plan i the open region, ending the open one and writing any
// regions between (skipped ones) on the way.
func (e *emitter) enter(i int) error {
	if e.open == i {
		return nil
	}
	if err := e.endOpen(""); err != nil {
		return err
	}
	for ; e.next < i; e.next++ {
		if err := e.whole(e.next, ""); err != nil {
			return err
		}
	}
	e.open, e.next = i, i+1
	return e.aw.BeginRegion(e.plans[i].desc)
}

// whole writes region i with nothing in it: skipped, or (with a reason)
// not captured at all.
func (e *emitter) whole(i int, reason string) error {
	if err := e.aw.BeginRegion(e.plans[i].desc); err != nil {
		return err
	}
	return e.aw.EndRegion(format.MethodNone, reason)
}

// endOpen ends the open region, if any; reason overrides the message.
func (e *emitter) endOpen(reason string) error {
	if e.open < 0 {
		return nil
	}
	st := &e.st[e.open]
	msg := reason
	if msg == "" && st.stopped {
		msg = e.why()
	}
	e.open = -1
	return e.aw.EndRegion(methodOf(st), msg)
}

// unit writes one unit's outcome.
func (e *emitter) unit(u *unit) error {
	if err := e.enter(u.plan); err != nil {
		return err
	}
	e.st[u.plan].merge(u.st)
	for _, o := range u.out {
		var err error
		switch o.kind {
		case outInherit:
			err = e.aw.WriteFill(o.start, o.end, format.PageInherit, 0)
		case outData:
			if e.stop.Err() != nil {
				e.st[u.plan].stopped = true
				err = e.aw.WriteFill(o.start, o.end, format.PageNotCaptured, 0)
				break
			}
			err = e.aw.WriteData(o.start, o.data)
			e.written += int64(len(o.data))
			e.onData(e.written)
		case outZero:
			err = e.aw.WriteFill(o.start, o.end, format.PageZero, 0)
		case outUnreadable:
			err = e.aw.WriteFill(o.start, o.end, format.PageUnreadable, o.errno)
		case outNotCaptured:
			e.st[u.plan].stopped = true
			err = e.aw.WriteFill(o.start, o.end, format.PageNotCaptured, 0)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// close ends the open region and writes every region not yet begun. With
// a reason (the capture failed part way), the open region and the rest
// carry it, so a reader names each region the archive lacks and why.
func (e *emitter) close(reason string) error {
	if e.closed {
		return nil
	}
	e.closed = true
	if err := e.endOpen(reason); err != nil {
		return err
	}
	for ; e.next < len(e.plans); e.next++ {
		if err := e.whole(e.next, reason); err != nil {
			return err
		}
	}
	return nil
}

// why says why the capture stopped short, or "".
func (s *session) why(ctx context.Context) func() string {
	return func() string {
		switch {
		case s.cp.gone.Load():
			return ErrTargetExited.Error()
		case ctx.Err() != nil:
			return interruptReason(context.Cause(ctx))
		}
		return ""
	}
}

// interruptReason says what interrupted a capture: the context's cause
// ("interrupted by SIGINT" from procsnap), prefixed "interrupted: " unless
// it says so already.
func interruptReason(cause error) string {
	msg := cause.Error()
	if strings.HasPrefix(msg, "interrupted") {
		return msg
	}
	return "interrupted: " + msg
}

// finish closes the final section and the archive and fills in the Result.
func (s *session) finish(ctx context.Context, em *emitter, fp *finalPass, passErr, thawErr error) (*Result, error) {
	if fz := s.frozen; len(fz.Exited()) > 0 && len(fz.Exited()) >= len(fz.Tasks()) {
		s.cp.gone.Store(true)
	}
	em.why = s.why(ctx)
	err := errors.Join(passErr, thawErr)
	reason := em.why()
	if err != nil && reason == "" {
		reason = "capture failed: " + err.Error()
	}
	failed := err != nil && s.aw.Err() == nil // the archive can still say what is missing
	if failed {
		_ = em.close(reason)
	}
	s.res.RereadBytes, s.res.ChangedBytes = uint64(fp.reread.Load()), uint64(fp.changed.Load())
	freezeEnd := s.freeze.Start.Add(s.res.Frozen)
	end := format.End{Complete: reason == "", Reason: reason, Finished: time.Now().UTC(), FinishedMono: monoNow(),
		FrozenNS: s.res.Frozen.Nanoseconds(), Threads: s.res.Threads, FreezeEnd: freezeEnd,
		FreezeEndMono: s.freeze.StartMono + s.res.Frozen.Nanoseconds(),
		PrecopyBytes:  s.res.PrecopyBytes, RereadBytes: s.res.RereadBytes, ChangedBytes: s.res.ChangedBytes}
	closeErr := s.aw.Close(end)
	s.result()
	switch {
	case closeErr != nil:
		return s.res, fmt.Errorf("write archive: %w", closeErr)
	case failed:
		return s.res, &IncompleteError{Reason: reason, Cause: err}
	case err != nil:
		return s.res, err
	case end.Complete:
		// A signal or the target's exit after the last why(): the archive
		// was closed complete, and says so.
		return s.res, nil
	case s.cp.gone.Load():
		return s.res, &IncompleteError{Reason: reason, Cause: ErrTargetExited}
	case ctx.Err() != nil:
		return s.res, &IncompleteError{Reason: reason, Cause: context.Cause(ctx)}
	}
	return s.res, nil
}

// result copies the closed archive's totals into the Result.
func (s *session) result() {
	t := s.aw.Totals()
	r := s.res
	r.CapturedBytes, r.UnreadableBytes, r.NotCapturedBytes = t.DataBytes+t.ZeroBytes, t.UnreadableBytes, t.NotCapturedBytes
	r.ArchiveBytes, r.SHA256 = s.aw.Size(), s.aw.Digest()
	r.Complete, r.Reason = t.Complete, t.Reason
	r.Meta, r.Finished = s.meta, t.Finished
	s.opts.progress(PhaseDone, r.ArchiveBytes, r.ArchiveBytes)
}

// closeIncomplete closes an archive that stopped before its final section
// (during the pre-copy, or when the freeze failed after it): what it holds
// was copied while the process ran, and it says so.
func (s *session) closeIncomplete(ctx context.Context, stage string, cause error) (*Result, error) {
	if ctx.Err() != nil {
		cause = context.Cause(ctx)
	}
	reason := fmt.Sprintf("%s stopped: %v; the archive holds only what was copied while the process ran, not one instant of it", stage, cause)
	if errors.Is(cause, ErrTargetExited) {
		reason = fmt.Sprintf("the target exited during %s, before it was frozen; the archive holds only what was copied while it ran", stage)
	}
	closeErr := s.aw.Close(format.End{Reason: reason, Finished: time.Now().UTC(), FinishedMono: monoNow(),
		PrecopyBytes: uint64(s.precopy.read)})
	s.result()
	if closeErr != nil {
		return s.res, fmt.Errorf("write archive: %w", closeErr)
	}
	return s.res, &IncompleteError{Reason: reason, Cause: cause}
}

// targetErr turns a failure to read the target's /proc files during the
// capture into ErrTargetExited when the target is gone.
func (s *session) targetErr(err error) error {
	if _, serr := s.pfs.Status(s.pid); serr != nil {
		s.cp.gone.Store(true)
		return ErrTargetExited
	}
	return err
}
