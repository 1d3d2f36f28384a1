package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// offline times extract of one page, verify and diff against a full
// decompression. The target's churn is off: archive A is a capture of the
// still target, B is taken after it changed ChangedPages pages.
func (b *runner) offline(ctx context.Context) {
	r := b.r
	a, _, _, err := b.capture(ctx, "a.psnap")
	if err != nil {
		for _, t := range []*Tool{&r.Extract, &r.Verify, &r.Diff, &r.Full} {
			t.Wall.fail(fmt.Errorf("capture for the offline verbs: %w", err))
		}
		return
	}
	page := b.extractPage()
	want, err := readPage(b.t.PID, page, int(b.t.PageSize))
	if err != nil {
		r.Extract.Wall.fail(err)
	}
	changed := ""
	if err := b.t.Change(b.cfg.ChangedPages); err != nil {
		r.Diff.Wall.fail(err)
	} else if path, _, _, err := b.capture(ctx, "changed.psnap"); err != nil {
		r.Diff.Wall.fail(fmt.Errorf("second capture for diff: %w", err))
	} else {
		changed = path
	}
	for i := range b.cfg.Runs {
		if ctx.Err() != nil {
			return
		}
		b.logf("offline %d/%d", i+1, b.cfg.Runs)
		if want != nil {
			b.extractRun(ctx, a, page, want)
		}
		b.verb(ctx, &r.Verify, 0, "verify", a)
		if changed != "" {
			b.diffRun(ctx, a, changed)
		}
		b.fullRun(a)
	}
	if changed != "" && ctx.Err() == nil {
		b.checkDiff(ctx, a, changed)
	}
}

// extractPage is a text page in the first quarter of the target's region,
// where change never writes.
func (b *runner) extractPage() uint64 {
	k := b.t.Size / b.t.PageSize / 4
	k += (1 + 3 - k%3) % 3 // page k%3 == 1 holds text
	return b.t.Base + k*b.t.PageSize
}

// diffRun times procsnap diff of two snapshots that differ: exit 1.
func (b *runner) diffRun(ctx context.Context, a, changed string) {
	c, err := b.launch.run(ctx, b.procsnap, "diff", a, changed)
	switch {
	case err != nil:
	case c.code == 0:
		err = fmt.Errorf("procsnap diff found no difference between snapshots %d pages apart", b.cfg.ChangedPages)
	case c.code != 1:
		err = c.failure("procsnap diff")
	}
	if err != nil {
		b.r.Diff.Wall.fail(err)
		return
	}
	b.r.Diff.Wall.addDuration(c.wall)
	b.r.Diff.Bytes.add(float64(c.outLen))
	b.r.Diff.PeakRSS.add(float64(c.maxRSS))
}

// fullRun times the reference: decompressing the whole archive.
func (b *runner) fullRun(a string) {
	d, n, err := fullDecompression(a)
	if err != nil {
		b.r.Full.Wall.fail(err)
		return
	}
	b.r.Full.Wall.addDuration(d)
	b.r.Full.Bytes.add(float64(n))
}

// checkDiff runs procsnap diff --json once, untimed, and checks that it
// finds exactly the pages the target changed in its region.
func (b *runner) checkDiff(ctx context.Context, a, changed string) {
	c, err := b.launch.run(ctx, b.procsnap, "diff", "--json", a, changed)
	if err != nil {
		b.r.Diff.Wall.fail(err)
		return
	}
	var out struct {
		Summary struct {
			ChangedPages int `json:"changed_pages"`
		} `json:"summary"`
		Regions []struct {
			Start        string `json:"start"`
			ChangedPages int    `json:"changed_pages"`
		} `json:"regions"`
	}
	if err := json.Unmarshal(c.stdout, &out); err != nil {
		b.r.Diff.Wall.fail(fmt.Errorf("procsnap diff --json: %w", err))
		return
	}
	for _, g := range out.Regions {
		start, err := strconv.ParseUint(strings.TrimPrefix(g.Start, "0x"), 16, 64)
		if err != nil || start != b.t.Base {
			continue
		}
		if g.ChangedPages != b.cfg.ChangedPages {
			b.r.Diff.Wall.fail(fmt.Errorf("procsnap diff finds %d changed pages in the target's region, want %d", g.ChangedPages, b.cfg.ChangedPages))
		}
		b.r.Notes = append(b.r.Notes, fmt.Sprintf("diff finds the %d changed pages of the target's region, and %d in all "+
			"(the target's stack, heap and stdio buffers change between the captures too)", g.ChangedPages, out.Summary.ChangedPages))
		return
	}
	b.r.Diff.Wall.fail(fmt.Errorf("procsnap diff --json does not list the target's region at %#x", b.t.Base))
}
