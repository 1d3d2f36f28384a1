package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// runner holds one bench run's state.
type runner struct {
	cfg      Config
	r        *Report
	dir      string // temp directory, removed at the end
	t        *target
	launch   launcher
	procsnap string
	gcore    string // "" when gcore is not installed
	zstd     string // "" when zstd is not installed
	archive  string // the latest capture of the runs
	buffer   int64  // procsnap's copy buffer, when it records it
}

// Run builds and starts the target, measures everything Config asks for
// and kills the target. Figures that could not be taken carry their error
// in the Report (see Report.Failures); Run fails only when it cannot go on
// at all: no target, or procsnap cannot capture it.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	r := &Report{Date: time.Now(), Machine: describeMachine(), Size: cfg.Size, Runs: cfg.Runs, ChangedPages: cfg.ChangedPages}
	b := &runner{cfg: cfg, r: r}
	if err := b.findTools(ctx); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(cfg.TempDir, "psbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	b.dir = dir
	bin, err := buildC(ctx, cfg.CC, dir, "target", targetSource)
	if err != nil {
		return nil, err
	}
	launch, err := buildC(ctx, cfg.CC, dir, "launch", launchSource)
	if err != nil {
		return nil, err
	}
	b.launch = launcher{bin: launch, report: filepath.Join(dir, "launch.report")}
	b.logf("starting a %s target", bytesIEC(float64(cfg.Size)))
	if b.t, err = startTarget(ctx, bin, cfg.Size, cfg.MonitorSleep); err != nil {
		return nil, err
	}
	defer b.t.stop()
	if err := b.runs(ctx); err != nil {
		return nil, err
	}
	b.setBuffer()
	b.offline(ctx)
	r.Machine.LoadEnd = loadAverage()
	return r, ctx.Err()
}

// runs measures the noise floor, the raw copy, procsnap and gcore, Runs times.
func (b *runner) runs(ctx context.Context) error {
	for i := range b.cfg.Runs {
		regions, err := readableRegions(b.t.pid)
		if err != nil {
			return err
		}
		b.r.Readable, b.r.Regions = totalSize(regions), len(regions)
		b.logf("run %d/%d: %s readable in %d regions", i+1, b.cfg.Runs, bytesIEC(float64(b.r.Readable)), len(regions))
		b.noise()
		b.rawCopy(regions)
		if err := b.captureRun(ctx, i); err != nil {
			return err
		}
		b.gcoreRun(ctx)
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
	return nil
}

// findTools resolves procsnap, the C compiler, gcore and zstd, and records
// their versions.
func (b *runner) findTools(ctx context.Context) error {
	p, err := exec.LookPath(b.cfg.Procsnap)
	if err != nil {
		return fmt.Errorf("procsnap binary %s: %w (run make build)", b.cfg.Procsnap, err)
	}
	if b.procsnap, err = filepath.Abs(p); err != nil {
		return err
	}
	if _, err := exec.LookPath(b.cfg.CC); err != nil {
		return fmt.Errorf("C compiler %s for the target: %w (apt-get install gcc)", b.cfg.CC, err)
	}
	v, _, _ := strings.Cut(toolVersion(ctx, b.procsnap, "--help"), ":")
	b.r.Machine.Tools = append(b.r.Machine.Tools, "procsnap: "+strings.TrimPrefix(v, "procsnap "),
		"cc: "+toolVersion(ctx, b.cfg.CC, "--version"))
	return b.findRivals(ctx)
}

// findRivals resolves gcore and zstd: a missing one is skipped with a note,
// unless Config.RequireTools.
func (b *runner) findRivals(ctx context.Context) error {
	b.gcore = b.optionalTool("gcore", "gdb")
	b.zstd = b.optionalTool("zstd", "zstd")
	if b.cfg.RequireTools && (b.gcore == "" || b.zstd == "") {
		return errors.New("gcore and zstd are required here (CI): apt-get install gdb zstd")
	}
	m := &b.r.Machine
	if b.gcore != "" {
		m.Tools = append(m.Tools, "gcore: "+toolVersion(ctx, "gdb", "--version"))
	} else {
		skip := Measure{Skipped: "gcore not installed (apt-get install gdb)"}
		b.r.Gcore = Tool{Frozen: skip, Wall: skip, Bytes: skip, PeakRSS: skip}
		b.r.Notes = append(b.r.Notes, skip.Skipped+": its figures and every ratio against them are missing")
	}
	if b.zstd != "" {
		m.Tools = append(m.Tools, "zstd: "+toolVersion(ctx, b.zstd, "--version"))
	}
	switch skip := (Measure{Skipped: "zstd not installed (apt-get install zstd)"}); {
	case b.zstd == "":
		b.r.Zstd = Tool{Wall: skip, Bytes: skip}
		b.r.Notes = append(b.r.Notes, skip.Skipped+": the archive and wall targets cannot be judged")
	case b.gcore == "":
		skip.Skipped = "no core to compress without gcore"
		b.r.Zstd = Tool{Wall: skip, Bytes: skip}
	}
	return nil
}

// optionalTool is the path of name, or "" with a note when it is missing.
func (b *runner) optionalTool(name, pkg string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		b.logf("%s not found: skipping it (apt-get install %s)", name, pkg)
		return ""
	}
	return p
}

// setBuffer settles procsnap's copy buffer size: recorded, or estimated.
func (b *runner) setBuffer() {
	if b.buffer > 0 {
		b.r.Buffer, b.r.BufferSource = b.buffer, "recorded by procsnap in the archive's end record"
		return
	}
	need := b.r.Readable
	size := need + need/16 + 16<<20
	if avail := meminfo("MemAvailable:"); avail > 0 {
		size = min(size, avail/2)
	}
	size = max(size, rawPiece)
	ps := int64(b.t.pageSize)
	b.r.Buffer = (size + ps - 1) / ps * ps
	b.r.BufferSource = "not recorded in the archive: estimated the way procsnap sizes it by default, " +
		"readable memory + 1/16 + 16 MiB, at most half of MemAvailable"
}

func (b *runner) logf(format string, a ...any) {
	fmt.Fprintf(b.cfg.Log, "psbench: "+format+"\n", a...)
}
