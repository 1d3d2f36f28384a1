package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
)

func TestMain(m *testing.M) { proctest.Main(m) }

// TestHarnessTiny runs the whole harness on a 16 MiB target, once, with a
// 24 MiB "big" one, and checks that every figure is there and that its
// tables parse back. It never judges the figures: timing is for make bench.
func TestHarnessTiny(t *testing.T) {
	proctest.NeedRoot(t, "procsnap and gcore ptrace the target")
	ci := os.Getenv("CI") != ""
	dir := t.TempDir()
	procsnap := proctest.ProcsnapRelease(t)
	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := Run(ctx, Config{Size: 16 << 20, BigSize: 24 << 20, Runs: 1, Procsnap: procsnap, TempDir: dir, RequireTools: ci, Log: &log})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	t.Logf("\n%s", r.Text())
	for _, f := range r.Failures() {
		t.Errorf("failed: %s", f)
	}
	checkTable(t, r, missingTools(ci))
	checkJSON(t, r)
	if doc := r.Document(); !strings.Contains(doc, "## Machine") || !strings.Contains(doc, r.ChecksTable()) {
		t.Errorf("Document lacks the machine section or the targets table")
	}
	checkCleanedUp(t, dir)
}

// missingTools is true when gcore or zstd may be skipped: only outside CI.
func missingTools(ci bool) bool {
	_, errG := exec.LookPath("gcore")
	_, errZ := exec.LookPath("zstd")
	return !ci && (errG != nil || errZ != nil)
}

// checkTable parses the printed targets table and checks every row holds
// a figure with a unit, a ratio and a verdict.
func checkTable(t *testing.T, r *Report, maySkip bool) {
	t.Helper()
	rows := ParseTable(r.Text()[strings.Index(r.Text(), "|"):])
	if len(rows) != len(r.Checks())+1 {
		t.Fatalf("targets table has %d rows, want %d header and checks", len(rows), len(r.Checks())+1)
	}
	for i, row := range rows[1:] {
		c := r.Checks()[i]
		if len(row) != 6 || row[0] != c.Figure {
			t.Errorf("row %d = %q, want 6 cells for %q", i, row, c.Figure)
			continue
		}
		skipped := strings.Contains(row[2], "skipped")
		if skipped && !maySkip {
			t.Errorf("%s: %q skipped although gcore and zstd are installed (or CI is set)", c.Figure, row[2])
		}
		if !figure.MatchString(row[1]) {
			t.Errorf("%s: value %q is not a figure", c.Figure, row[1])
		}
		wantMet := map[string]bool{"yes": true, "NO": true, "—": c.Target == "—", "n/a": skipped}
		if !wantMet[row[5]] {
			t.Errorf("%s: met = %q with target %q", c.Figure, row[5], row[4])
		}
		if strings.Contains(row[4], "×") && row[5] != "n/a" && !ratioCell.MatchString(row[3]) {
			t.Errorf("%s: ratio %q is not a ratio", c.Figure, row[3])
		}
	}
}

// checkJSON checks that the report survives JSON with its figures.
func checkJSON(t *testing.T, r *Report) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.ChecksTable() != r.ChecksTable() {
		t.Errorf("the report read back from JSON renders another table:\n%s", back.ChecksTable())
	}
	if back.Procsnap.Wall.Median() <= 0 || back.Raw.Wall.Median() <= 0 || back.Full.Bytes.Median() <= 0 ||
		back.Whole.Wall.Median() <= 0 || back.Big.Procsnap.Wall.Median() <= 0 || !back.Procsnap.Changed.OK() {
		t.Errorf("figures missing after JSON: %s", b)
	}
}

// checkCleanedUp checks that the run's temp directory is gone and that no
// process runs a program from it (the target was killed).
func checkCleanedUp(t *testing.T, dir string) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(dir, "psbench-*"))
	if len(left) > 0 {
		t.Errorf("temp directory left behind: %v", left)
	}
	exes, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, e := range exes {
		if p, err := os.Readlink(e); err == nil && strings.HasPrefix(p, filepath.Join(dir, "psbench-")) {
			t.Errorf("%s still runs %s", filepath.Dir(e), p)
		}
	}
}
