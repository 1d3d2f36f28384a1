package main

// Hostile archives run as separate processes: the sample, and their peak
// RSS measured through testdata/fault/rss.c.

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format/formattest"

	"github.com/procsnap/procsnap/procfs"
)

// faultSampleKind picks mutants for the out-of-process sample: every
// crafted one, a few of each risky kind (bombs, forged lengths, huge
// JSON), and a spread of the others. It returns the kind ("" = not picked).
func faultSampleKind(name string, i, n int) string {
	if _, rest, ok := strings.Cut(name, "crafted-"); ok {
		return rest // each crafted archive is its own kind
	}
	for _, k := range []string{"zstd-bomb", "frame-length", "json-huge", "json-many", "forge-type-7", "index-count"} {
		if strings.Contains(name, k) {
			return k
		}
	}
	if i%max(1, n/30) == 0 {
		return fmt.Sprintf("spread-%d", i)
	}
	return ""
}

// faultSample is a mutant chosen to run as a separate process, with its
// verb (-1: rotate over the heavy verbs).
type faultSample struct {
	mu     formattest.Mutant
	verb   int
	grewKB int64
}

// faultTopGrowers keeps the k samples whose in-process RSS grew most.
func faultTopGrowers(top []faultSample, s faultSample, k int) []faultSample {
	if len(top) == k && s.grewKB <= top[k-1].grewKB {
		return top
	}
	top = append(top, s)
	slices.SortFunc(top, func(a, b faultSample) int { return int(b.grewKB - a.grewKB) })
	return top[:min(len(top), k)]
}

// faultResetPeakRSS resets this process's RSS high-water mark (VmHWM) and
// returns it in KiB: the RSS at the reset.
func faultResetPeakRSS() int64 {
	_ = procfs.Default().ResetPeakRSS(os.Getpid())
	return faultPeakRSS()
}

// faultPeakRSS is VmHWM in KiB.
func faultPeakRSS() int64 {
	n, _ := procfs.Default().PeakRSS(os.Getpid())
	return n >> 10
}

// faultOutOfProcess runs the sample and the top in-process growers as
// separate processes: no panic, a message with every failure, and a peak
// RSS under 256 MiB.
func faultOutOfProcess(t *testing.T, tools faultTools, bases []faultBase, verbs []faultVerb, sample, growers []faultSample, fails *faultFailures) {
	dir := t.TempDir()
	mpath := filepath.Join(dir, "mutant.psnap")
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	var peak int64
	var peakWhat string
	heavy := []string{"verify", "export-core", "diff", "extract", "search", "info", "list"}
	runs := append(faultThinSample(sample), growers...)
	for k, s := range runs {
		if err := os.WriteFile(mpath, s.mu.Data, 0o600); err != nil {
			t.Fatal(err)
		}
		vi := s.verb
		for j := 0; vi < 0; j++ {
			vi = slices.IndexFunc(verbs, func(v faultVerb) bool { return v.name == heavy[(k+j)%len(heavy)] })
		}
		v := verbs[vi]
		args := v.args(mpath, bases[s.mu.Base].path, out, k)
		p := faultMeasured(tools, dir, args...)
		p.begin(t)
		res := p.wait(faultVerbHang)
		if res.maxRSSKB > peak {
			peak, peakWhat = res.maxRSSKB, v.name+" "+s.mu.Name
		}
		faultCheckProcess(fails, v, s.mu, res, out)
		if res.maxRSSKB > faultMaxRSSKB {
			fails.add(v.name, "peak RSS above 256 MiB", s.mu.Name, s.mu.Data, fmt.Sprintf("%d MiB: %q", res.maxRSSKB>>10, args))
		}
	}
	t.Logf("%d mutants as separate processes: highest peak RSS %d MiB (%s)", len(runs), peak>>10, peakWhat)
}

// faultThinSample keeps every crafted archive and an even spread of the
// others.
func faultThinSample(sample []faultSample) []faultSample {
	var crafted, others []faultSample
	for _, s := range sample {
		if strings.Contains(s.mu.Name, "/crafted-") {
			crafted = append(crafted, s)
		} else {
			others = append(others, s)
		}
	}
	if limit := faultCount(40, 300); len(others) > limit {
		step := float64(len(others)) / float64(limit)
		var s []faultSample
		for k := range limit {
			s = append(s, others[int(float64(k)*step)])
		}
		others = s
	}
	return append(crafted, others...)
}

// faultCheckProcess fails unless a verb run as a process ended by itself,
// without a panic, explained a failing exit, and wrote nothing in out but
// its output file (mode 0600). It empties out.
func faultCheckProcess(fails *faultFailures, v faultVerb, mu formattest.Mutant, res faultRun, out string) {
	switch {
	case res.hung:
		fails.add(v.name, "hung (process)", mu.Name, mu.Data, res.String())
	case res.signal != 0:
		fails.add(v.name, "killed by "+res.signal.String(), mu.Name, mu.Data, res.String())
	case strings.Contains(res.stderr, "panic"):
		fails.add(v.name, "panic (process)", mu.Name, mu.Data, faultClip(res.stderr))
	case !v.ok(res.code, res.stdout, res.stderr):
		fails.add(v.name, fmt.Sprintf("exit %d without a message (process)", res.code), mu.Name, mu.Data, res.String())
	}
	if bad, ok := faultCheckOutDir(out, "extract.bin", "core"); !ok {
		fails.add(v.name, "wrote outside -o or with a wrong mode (process)", mu.Name, mu.Data, bad)
	}
}
