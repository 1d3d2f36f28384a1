package main

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"
)

// bigRoom is the memory the big target must leave available: procsnap's
// own (at most rssLimit beyond the changed pages), the harness's, the
// page cache the archive is written through, and the other programs on a
// shared machine.
const bigRoom = 2 << 30

// big captures a target larger than half of the machine's memory, once,
// after the Size target has exited: frozen, wall, peak RSS, archive and
// changed pages, and gcore with zstd when Config.BigGcore.
func (b *runner) big(ctx context.Context, bin string) {
	g := &b.r.Big
	g.Size = b.cfg.BigSize
	if why := b.bigSkip(); why != "" {
		b.skipBig(why)
		return
	}
	b.logf("starting a %s target (the big one)", bytesIEC(float64(g.Size)))
	t, err := b.startTarget(ctx, bin, g.Size)
	if err != nil {
		g.Procsnap.Wall.fail(err)
		return
	}
	b.t = t
	defer t.Stop()
	regions, err := readableRegions(t.PID)
	if err == nil {
		err = t.Churn(true)
	}
	if err != nil {
		g.Procsnap.Wall.fail(err)
		return
	}
	g.Readable = totalSize(regions)
	b.noise(&g.Noise)
	if err := b.captureRun(ctx, &g.Procsnap, "big.psnap"); err != nil {
		g.Procsnap.Wall.fail(err)
		return
	}
	if b.cfg.BigGcore {
		b.gcoreRun(ctx, &g.Gcore, &g.Zstd)
		return
	}
	skip := Measure{Skipped: "not asked for (-big-gcore)"}
	g.Gcore = Tool{Frozen: skip, Wall: skip, Bytes: skip, PeakRSS: skip}
	g.Zstd = Tool{Wall: skip, Bytes: skip}
}

// bigSkip says why the big target cannot be measured here, or "".
func (b *runner) bigSkip() string {
	size := b.cfg.BigSize
	if size == 0 {
		return "not asked for (-big-size 0)"
	}
	if avail := meminfo("MemAvailable:"); avail < size+bigRoom {
		return fmt.Sprintf("MemAvailable is %s, below the target's %s plus %s of room; "+
			"run again on a quieter machine or with a smaller -big-size", bytesIEC(float64(avail)),
			bytesIEC(float64(size)), bytesIEC(bigRoom))
	}
	disk := size // the archive, even if nothing compressed
	if b.cfg.BigGcore {
		disk += 2 * size // the core and its zstd
	}
	var st unix.Statfs_t
	if err := unix.Statfs(b.dir, &st); err != nil {
		return fmt.Sprintf("cannot tell the free space of %s: %v", b.dir, err)
	}
	if free := int64(st.Bavail) * st.Bsize; free < disk {
		return fmt.Sprintf("%s has %s free, below the %s its files may need; use -tmpdir elsewhere",
			b.dir, bytesIEC(float64(free)), bytesIEC(float64(disk)))
	}
	return ""
}

// skipBig marks every big-target figure skipped, with the reason in the
// notes.
func (b *runner) skipBig(why string) {
	b.logf("big target skipped: %s", why)
	g := &b.r.Big
	g.Skipped = why
	skip := Measure{Skipped: why}
	g.Procsnap = Capture{Tool: Tool{Frozen: skip, Wall: skip, Bytes: skip, PeakRSS: skip},
		SelfFrozen: skip, Precopied: skip, Reread: skip, Changed: skip}
	g.Gcore = Tool{Frozen: skip, Wall: skip, Bytes: skip, PeakRSS: skip}
	g.Zstd = Tool{Wall: skip, Bytes: skip}
}
