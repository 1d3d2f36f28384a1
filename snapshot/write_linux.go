package snapshot

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/procsnap/procsnap/format"
)

// copyAll copies every planned region. When the buffer fills up before the
// end, what it holds is compressed and written while the target is still
// frozen, and the buffer is reused. The last batch is left for finish, to
// be written after the thaw.
func (c *capture) copyAll(ctx context.Context, aw *format.Writer, plans []regionPlan, buf []byte) ([]item, []regionEmit, error) {
	ps := uint64(c.ps)
	items := buildItems(plans, uint64(min(maxPiece, len(buf))), ps)
	state := make([]regionEmit, len(plans))
	var total, done int64
	for i := range plans {
		total += plans[i].readBytes()
	}
	useMem := func(i int) bool { return plans[i].useMem }
	progress := func(n int64) { done += n; c.opts.progress("copying", done, total) }
	c.opts.progress("frozen", 0, total)
	for from := 0; ; {
		var end int
		end, items = nextBatch(items, from, buf, ps)
		batch := items[from:end]
		var pieces []*piece
		for _, it := range batch {
			if it.piece != nil {
				pieces = append(pieces, it.piece)
			}
		}
		c.cp.copyPieces(ctx, pieces, useMem, progress)
		if end == len(items) {
			return batch, state, nil
		}
		c.res.Overflowed = true
		if err := emit(ctx, aw, plans, state, batch, c.why(ctx), c.writeProgress(total)); err != nil {
			return nil, state, err
		}
		if err := aw.Flush(); err != nil {
			return nil, state, err
		}
		from = end
	}
}

// writeProgress reports bytes handed to the writer out of total.
func (c *capture) writeProgress(total int64) func(int64) {
	var done int64
	return func(n int64) {
		done += n
		c.opts.progress("writing", done, total)
	}
}

// why says why the capture stopped short, or "".
func (c *capture) why(ctx context.Context) func() string {
	return func() string {
		switch {
		case c.cp.gone.Load():
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

// finish writes the last batch (after the thaw), the end record, index
// and trailer, and fills in the Result.
func (c *capture) finish(ctx context.Context, aw *format.Writer, plans []regionPlan, last []item, state []regionEmit, err error) (*Result, error) {
	why := c.why(ctx)
	if err == nil {
		var total int64
		for _, it := range last {
			if it.piece != nil {
				total += int64(it.piece.done)
			}
		}
		c.opts.progress("writing", 0, total)
		err = emit(ctx, aw, plans, state, last, why, c.writeProgress(total))
	}
	if len(c.frozen.Exited()) > 0 && len(c.frozen.Exited()) >= len(c.frozen.Tasks()) {
		c.cp.gone.Store(true)
	}
	end := format.End{Complete: true, Finished: time.Now().UTC(), FinishedMono: monoNow(),
		FrozenNS: c.res.Frozen.Nanoseconds(), Threads: c.res.Threads}
	reason := why()
	if err != nil && reason == "" {
		reason = "capture failed: " + err.Error()
	}
	failed := err != nil && aw.Err() == nil // the archive can still say what is missing
	if failed {
		recordMissing(aw, plans, state, reason)
	}
	if reason != "" {
		end.Complete, end.Reason = false, reason
	}
	closeErr := aw.Close(end)
	t := aw.Totals()
	r := c.res
	r.CapturedBytes, r.UnreadableBytes, r.NotCapturedBytes = t.DataBytes+t.ZeroBytes, t.UnreadableBytes, t.NotCapturedBytes
	r.ArchiveBytes, r.SHA256 = aw.Size(), aw.Digest()
	r.Complete, r.Reason = end.Complete, end.Reason
	c.opts.progress("done", r.ArchiveBytes, r.ArchiveBytes)
	switch {
	case closeErr != nil:
		return r, fmt.Errorf("write archive: %w", closeErr)
	case failed:
		return r, &IncompleteError{Reason: reason, Cause: err}
	case err != nil:
		return r, err
	case end.Complete:
		// A signal or the target's exit after the last why(): the archive
		// was closed complete, and says so.
		return r, nil
	case c.cp.gone.Load():
		return r, &IncompleteError{Reason: reason, Cause: ErrTargetExited}
	case ctx.Err() != nil:
		return r, &IncompleteError{Reason: reason, Cause: context.Cause(ctx)}
	}
	return r, nil
}

// recordMissing ends the region a failure left open, with the reason,
// and records every region not yet begun as not captured, with the same
// reason, so that a reader names each region the archive lacks and why.
func recordMissing(aw *format.Writer, plans []regionPlan, state []regionEmit, reason string) {
	open, next := aw.Regions()
	if open >= 0 {
		_ = aw.EndRegion(methodOf(&state[open]), reason)
	}
	for i := next; i < len(plans); i++ {
		if aw.BeginRegion(plans[i].desc) != nil || aw.EndRegion(format.MethodNone, reason) != nil {
			return
		}
	}
}

// memAvailable is MemAvailable from /proc/meminfo in bytes (0 if unknown).
func memAvailable() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("MemAvailable:")); ok {
			f := bytes.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(string(f[0]), 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}
