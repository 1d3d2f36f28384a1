package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/procfs"
	"github.com/procsnap/procsnap/snapshot/internal/ptrace"
	"golang.org/x/sys/unix"
)

// Capture freezes process pid, copies its memory, thaws it, and writes the
// archive to w. w is not closed.
//
// On success the Result describes a complete archive. When an archive was
// written but does not hold the whole capture (the target exited, ctx was
// cancelled), the Result comes with an *IncompleteError. Any other error
// means no usable archive was written; the target is thawed in every case.
func Capture(ctx context.Context, pid int, w io.Writer, opts Options) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	c := &capture{pfs: procfs.Default(), pid: pid, opts: opts, ps: os.Getpagesize(), res: &Result{PID: pid}}
	return c.run(ctx, w)
}

type capture struct {
	pfs    procfs.FS
	pid    int
	opts   Options
	ps     int
	res    *Result
	frozen *ptrace.Frozen
	cp     *copier
	start  time.Time
	buf    []byte // the copy buffer, pre-faulted
}

func (c *capture) run(ctx context.Context, w io.Writer) (*Result, error) {
	c.opts.progress("preparing", 0, 0)
	st, err := preflight(c.pfs, c.pid)
	if err != nil {
		return nil, err
	}
	meta := gatherMeta(c.pfs, c.pid, st, c.opts)
	if err := c.prepareBuffer(); err != nil {
		return nil, err
	}
	defer func() { unix.Munmap(c.buf) }() //nolint:errcheck // nothing to do about it
	c.cp = &copier{pid: c.pid, ps: c.ps}
	if f, err := os.Open(fmt.Sprintf("%s/%d/mem", c.pfs.Dir(), c.pid)); err == nil {
		c.cp.mem = f
		defer f.Close()
	}
	// The writer's encoders are set up before the freeze: it costs time.
	aw, err := format.NewWriter(w, format.WriterOptions{PageSize: c.ps, ChunkSize: c.opts.ChunkSize, Level: c.opts.Level})
	if err != nil {
		return nil, err
	}
	meta.CaptureStart, meta.CaptureStartMono = time.Now().UTC(), monoNow()
	if err := c.freeze(ctx); err != nil {
		aw.Abort()
		return nil, err
	}
	defer c.thaw()
	return c.frozenPhase(ctx, aw, meta)
}

// prepareBuffer sizes and pre-faults the copy buffer from a plan made
// before the freeze. Faulting in a large buffer takes a while, in which a
// busy target grows: the plan is made again afterwards and the buffer
// grown to match, still before the freeze.
func (c *capture) prepareBuffer() error {
	need, err := c.planNeed()
	if err != nil {
		return err
	}
	size := chooseBuffer(c.opts.BufferSize, need, memAvailable(), int64(c.ps))
	if c.buf, err = allocBuffer(size); err != nil {
		return fmt.Errorf("allocate a %d MiB copy buffer: %w (lower it with --buffer)", size>>20, err)
	}
	c.res.BufferBytes = size
	if c.opts.BufferSize == 0 {
		if need, err = c.planNeed(); err != nil {
			return err
		}
		c.growBuffer(need)
	}
	return nil
}

// planNeed is how many bytes a plan of the running target reads.
func (c *capture) planNeed() (int64, error) {
	_, maps, err := c.pfs.Maps(c.pid)
	if (err != nil || len(maps) == 0) && exited(c.pfs, c.pid) {
		return 0, fmt.Errorf("PID %d exited before it could be frozen: nothing was captured", c.pid)
	}
	if err != nil {
		return 0, fmt.Errorf("read maps of PID %d: %w", c.pid, err)
	}
	if len(maps) == 0 {
		return 0, fmt.Errorf("PID %d has no memory mappings (a kernel thread?): nothing to capture", c.pid)
	}
	plans := makePlan(c.pfs, c.pid, maps, c.ps, c.opts.IncludeUnreadable)
	closePlans(plans)
	return plansNeed(plans), nil
}

func plansNeed(plans []regionPlan) int64 {
	var need int64
	for i := range plans {
		need += plans[i].readBytes()
	}
	return need
}

// growBuffer makes the copy buffer hold need bytes if it is smaller,
// within the same bound chooseBuffer keeps (half of MemAvailable), unless
// the user chose its size. Growing while frozen costs the page faults of
// the added part, far less than compressing that part while frozen.
func (c *capture) growBuffer(need int64) {
	if c.opts.BufferSize != 0 || need <= int64(len(c.buf)) {
		return
	}
	size := chooseBuffer(0, need, memAvailable()+int64(len(c.buf)), int64(c.ps))
	if size <= int64(len(c.buf)) {
		return
	}
	if b, err := growMapping(c.buf, size); err == nil {
		c.buf = b
		c.res.BufferBytes = size
	}
}

// chooseBuffer: what the plan reads plus room for growth while we were not
// looking, at most half the available memory, unless the user said.
func chooseBuffer(user, need, avail, ps int64) int64 {
	size := user
	if size == 0 {
		size = need + need/16 + 16<<20
		if avail > 0 {
			size = min(size, avail/2)
		}
	}
	size = max(size, maxPiece)
	return (size + ps - 1) / ps * ps
}

func (c *capture) freeze(ctx context.Context) error {
	fctx, cancel := context.WithTimeout(ctx, c.opts.FreezeTimeout)
	defer cancel()
	c.start = time.Now()
	f, err := ptrace.Freeze(fctx, c.pid, func() ([]int, error) { return c.pfs.Tasks(c.pid) })
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted while freezing PID %d (it was not left stopped): %w", c.pid, context.Cause(ctx))
		}
		return explainAttach(c.pfs, c.pid, err)
	}
	c.frozen = f
	return nil
}

// thaw detaches every task once; the frozen time ends here.
func (c *capture) thaw() error {
	if c.frozen == nil {
		return nil
	}
	err := c.frozen.Thaw()
	if c.res.Frozen == 0 {
		c.res.Frozen = time.Since(c.start)
	}
	return err
}

// frozenPhase reads the frozen state, copies memory, thaws, and writes.
func (c *capture) frozenPhase(ctx context.Context, aw *format.Writer, meta *format.Meta) (*Result, error) {
	rawMaps, maps, err := c.pfs.Maps(c.pid)
	if err != nil {
		aw.Abort()
		return nil, fmt.Errorf("read maps of frozen PID %d: %w", c.pid, err)
	}
	auxv, _, _ := c.pfs.Auxv(c.pid)
	threads := c.registers()
	plans := makePlan(c.pfs, c.pid, maps, c.ps, c.opts.IncludeUnreadable)
	defer closePlans(plans)
	c.growBuffer(plansNeed(plans))
	_ = aw.WriteMeta(meta)
	_ = aw.WriteMaps(rawMaps)
	_ = aw.WriteAuxv(auxv)
	for _, t := range threads {
		_ = aw.WriteThread(t)
	}
	c.res.Threads, c.res.Regions = len(threads), len(plans)
	last, state, copyErr := c.copyAll(ctx, aw, plans, c.buf)
	thawErr := c.thaw()
	return c.finish(ctx, aw, plans, last, state, errors.Join(copyErr, thawErr))
}

// registers reads every frozen thread's register sets, leader first.
func (c *capture) registers() []format.Thread {
	var out []format.Thread
	for _, tid := range c.frozen.Tasks() {
		sets, err := c.frozen.Registers(tid)
		if err != nil {
			continue // the thread died while frozen: it has no registers to record
		}
		t := format.Thread{TID: tid}
		for _, s := range sets {
			t.RegSets = append(t.RegSets, format.RegSet{Type: s.Type, Data: s.Data})
		}
		out = append(out, t)
	}
	return out
}
