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

	"github.com/procsnap/procsnap/cmd/psbench/internal/benchtarget"
)

// runner holds one bench run's state.
type runner struct {
	cfg      Config
	r        *Report
	dir      string // temp directory, removed at the end
	t        *benchtarget.Target
	launch   launcher
	procsnap string
	gcore    string // "" when gcore is not installed
	zstd     string // "" when zstd is not installed
}

// Run builds and starts the target, measures everything Config asks for
// and kills the target. Figures that could not be taken carry their error
// in the Report (see Report.Failures); Run fails only when it cannot go on
// at all: no target, or procsnap cannot capture it.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	r := &Report{Date: time.Now(), Machine: describeMachine(), Size: cfg.Size, Runs: cfg.Runs,
		Churn: max(cfg.Churn, 0), ChangedPages: cfg.ChangedPages}
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
	bin, err := benchtarget.Build(ctx, cfg.CC, dir, "target", targetSource)
	if err != nil {
		return nil, err
	}
	launch, err := benchtarget.Build(ctx, cfg.CC, dir, "launch", launchSource)
	if err != nil {
		return nil, err
	}
	b.launch = launcher{bin: launch, report: filepath.Join(dir, "launch.report")}
	if err := b.mainTarget(ctx, bin); err != nil {
		return nil, err
	}
	b.big(ctx, bin)
	r.Machine.LoadEnd = loadAverage()
	return r, ctx.Err()
}

// mainTarget measures everything on the Size target, which churns while
// the runs capture it and holds still for the offline verbs.
func (b *runner) mainTarget(ctx context.Context, bin string) error {
	b.logf("starting a %s target", bytesIEC(float64(b.cfg.Size)))
	t, err := b.startTarget(ctx, bin, b.cfg.Size)
	if err != nil {
		return err
	}
	b.t = t
	defer t.Stop()
	if err := t.Churn(true); err != nil {
		return err
	}
	if err := b.runs(ctx); err != nil {
		return err
	}
	if err := t.Churn(false); err != nil {
		return err
	}
	b.offline(ctx)
	return nil
}

// runs measures the noise floor, the raw copy, procsnap (both freeze
// modes) and gcore, Runs times.
func (b *runner) runs(ctx context.Context) error {
	for i := range b.cfg.Runs {
		regions, err := readableRegions(b.t.PID)
		if err != nil {
			return err
		}
		b.r.Readable, b.r.Regions = totalSize(regions), len(regions)
		b.logf("run %d/%d: %s readable in %d regions", i+1, b.cfg.Runs, bytesIEC(float64(b.r.Readable)), len(regions))
		b.noise(&b.r.Noise)
		b.rawCopy(regions)
		if err := b.captureRun(ctx, &b.r.Procsnap, fmt.Sprintf("run%d.psnap", i)); err != nil {
			return err
		}
		if err := b.captureRun(ctx, &b.r.Whole, fmt.Sprintf("whole%d.psnap", i), "--freeze=whole"); err != nil {
			b.r.Whole.Wall.fail(err)
		}
		b.gcoreRun(ctx, &b.r.Gcore, &b.r.Zstd)
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

func (b *runner) logf(format string, a ...any) {
	fmt.Fprintf(b.cfg.Log, "psbench: "+format+"\n", a...)
}
