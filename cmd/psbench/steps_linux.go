package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// noise is the monitor's longest stall over 0.25 s with nobody freezing it.
func (b *runner) noise(into *Measure) {
	d, err := b.t.MeasureStall(func() error { time.Sleep(250 * time.Millisecond); return nil })
	if err != nil {
		into.fail(err)
		return
	}
	into.addDuration(d)
}

// rawCopy times the physical limit: a plain copy of the readable memory.
func (b *runner) rawCopy(regions []span) {
	d, n, bad, err := rawCopy(b.t.PID, regions, int(b.t.PageSize))
	if err != nil {
		b.r.Raw.Wall.fail(err)
		return
	}
	b.r.Raw.Wall.addDuration(d)
	b.r.Raw.Bytes.add(float64(n))
	b.r.RawUnreadable = bad
	b.logf("  raw copy: %s in %s", bytesIEC(float64(n)), seconds(d.Seconds()))
}

// capture runs procsnap capture, with extra flags, into the temp
// directory and returns the archive path, the run and the frozen time the
// target measured.
func (b *runner) capture(ctx context.Context, name string, flags ...string) (string, child, time.Duration, error) {
	path := filepath.Join(b.dir, name)
	args := append([]string{"capture", "--force", "--no-progress", "-q"}, flags...)
	args = append(args, "-o", path, strconv.Itoa(b.t.PID))
	var c child
	frozen, err := b.t.MeasureStall(func() error {
		var err error
		c, err = b.launch.run(ctx, b.procsnap, args...)
		if err == nil && c.code != 0 {
			err = c.failure("procsnap capture")
		}
		return err
	})
	return path, c, frozen, err
}

// captureRun is one measured procsnap capture into into, with extra
// flags. The archive is removed once its figures are read.
func (b *runner) captureRun(ctx context.Context, into *Capture, name string, flags ...string) error {
	path, c, frozen, err := b.capture(ctx, name, flags...)
	defer os.Remove(path)
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	end, err := archiveFigures(path)
	if err != nil {
		return fmt.Errorf("read procsnap's archive: %w", err)
	}
	into.Frozen.addDuration(frozen)
	into.Wall.addDuration(c.wall)
	into.Bytes.add(float64(st.Size()))
	into.PeakRSS.add(float64(c.maxRSS))
	into.SelfFrozen.addDuration(end.frozen)
	into.Precopied.add(float64(end.precopy))
	into.Reread.add(float64(end.reread))
	into.Changed.add(float64(end.changed))
	b.logf("  procsnap%s: frozen %s, wall %s, archive %s, peak RSS %s, changed %s", strings.Join(append([]string{""}, flags...), " "),
		seconds(frozen.Seconds()), seconds(c.wall.Seconds()), bytesIEC(float64(st.Size())),
		bytesIEC(float64(c.maxRSS)), bytesIEC(float64(end.changed)))
	return nil
}

// gcoreRun is one gcore of the target into g, then zstd -1 -T2 of its
// core into z.
func (b *runner) gcoreRun(ctx context.Context, g, z *Tool) {
	if b.gcore == "" {
		return
	}
	prefix := filepath.Join(b.dir, "core")
	core := fmt.Sprintf("%s.%d", prefix, b.t.PID)
	defer os.Remove(core)
	var c child
	frozen, err := b.t.MeasureStall(func() error {
		var err error
		c, err = b.launch.run(ctx, b.gcore, "-o", prefix, strconv.Itoa(b.t.PID))
		if err == nil && c.code != 0 {
			err = c.failure("gcore")
		}
		return err
	})
	st, serr := os.Stat(core)
	if err == nil && serr != nil {
		err = fmt.Errorf("gcore wrote no core file: %w", serr)
	}
	if err != nil {
		g.Frozen.fail(err)
		return
	}
	g.Frozen.addDuration(frozen)
	g.Wall.addDuration(c.wall)
	g.Bytes.add(float64(st.Size()))
	g.PeakRSS.add(float64(c.maxRSS))
	b.logf("  gcore: frozen %s, wall %s, core %s", seconds(frozen.Seconds()), seconds(c.wall.Seconds()), bytesIEC(float64(st.Size())))
	if b.zstd != "" {
		b.zstdRun(ctx, z, core)
	}
}

// zstdRun compresses gcore's core with zstd -1 -T2 into z.
func (b *runner) zstdRun(ctx context.Context, z *Tool, core string) {
	out := core + ".zst"
	defer os.Remove(out)
	c, err := b.launch.run(ctx, b.zstd, "-1", "-T2", "-q", "-f", "-o", out, core)
	if err == nil && c.code != 0 {
		err = c.failure("zstd")
	}
	var st os.FileInfo
	if err == nil {
		st, err = os.Stat(out)
	}
	if err != nil {
		z.Wall.fail(err)
		return
	}
	z.Wall.addDuration(c.wall)
	z.Bytes.add(float64(st.Size()))
	z.PeakRSS.add(float64(c.maxRSS))
	b.logf("  zstd -1 -T2: %s in %s", bytesIEC(float64(st.Size())), seconds(c.wall.Seconds()))
}

// verb runs one offline procsnap verb and records it in t when it exits
// with the code wanted.
func (b *runner) verb(ctx context.Context, t *Tool, want int, args ...string) bool {
	c, err := b.launch.run(ctx, b.procsnap, args...)
	if err == nil && c.code != want {
		err = c.failure("procsnap " + args[0])
	}
	if err != nil {
		t.Wall.fail(err)
		return false
	}
	t.Wall.addDuration(c.wall)
	t.PeakRSS.add(float64(c.maxRSS))
	return true
}

// extractRun extracts one page of archive a and checks it against want.
func (b *runner) extractRun(ctx context.Context, a string, page uint64, want []byte) {
	out := filepath.Join(b.dir, "page.bin")
	os.Remove(out)
	rng := fmt.Sprintf("%#x-%#x", page, page+b.t.PageSize)
	if !b.verb(ctx, &b.r.Extract, 0, "extract", "--addr", fmt.Sprintf("%#x", page), "--range", rng, "-o", out, a) {
		return
	}
	got, err := os.ReadFile(out)
	if err == nil && !bytes.Equal(got, want) {
		err = fmt.Errorf("extract wrote %d bytes that are not the target's page at %#x", len(got), page)
	}
	if err != nil {
		b.r.Extract.Wall.fail(err)
		return
	}
	b.r.Extract.Bytes.add(float64(len(got)))
}
