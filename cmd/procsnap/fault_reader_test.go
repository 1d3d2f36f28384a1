package main

// Hostile archives through every offline verb (issue 9): crafted archives
// and ≥ 1,000 random mutants of small real and Writer-built archives run
// in-process through info, list, verify, extract, diff, search and
// export-core, then a sample as separate processes to measure peak RSS.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

const (
	faultMaxRSSKB   = 256 << 10 // peak RSS allowed for one verb on a hostile archive
	faultVerbHang   = 30 * time.Second
	faultMaxReports = 4 // failures shown per verb and symptom
)

// faultSeed is the mutation seed: PROCSNAP_FAULT_SEED, or a fixed one.
func faultSeed(t *testing.T) uint64 {
	if s := os.Getenv("PROCSNAP_FAULT_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("PROCSNAP_FAULT_SEED=%q: %v", s, err)
		}
		return n
	}
	return 9
}

func TestFaultHostileArchives(t *testing.T) {
	root := os.Geteuid() == 0
	tools := buildFaultTools(t, root)
	dir := t.TempDir()
	var capTools *faultTools
	if root {
		capTools = &tools
	} else {
		t.Log("not root: no real capture among the base archives, only Writer-built ones")
	}
	bases := faultBases(t, dir, capTools)
	search := faultSearchReady()
	if !search {
		t.Log("search is not implemented yet: it is left out of this run")
	}
	h := &faultHarness{t: t, tools: tools, bases: bases, verbs: faultVerbs(search),
		fails:   &faultFailures{t: t, counts: map[string]int{}, saved: os.Getenv("PROCSNAP_FAULT_SAVE")},
		codes:   map[string]map[int]int{},
		elapsed: map[string]time.Duration{},
		hangs:   map[string]int{},
		kinds:   map[string]int{},
	}
	seed := faultSeed(t)
	t.Logf("mutation seed %d (set PROCSNAP_FAULT_SEED to replay another, PROCSNAP_FAULT_SAVE=DIR to keep failing mutants)", seed)
	n := faultCount(1000, 20000)
	h.n = n
	mutants := faultMutants(t, bases, seed, n)
	start := time.Now()
	h.runAll(mutants, 2)
	t.Logf("%d mutants through %d verbs in %v; exit codes by verb: %v", h.done, len(h.verbs), time.Since(start).Round(time.Millisecond), h.codes)
	t.Logf("time by base and verb: %v", h.elapsed)
	t.Logf("%d mutants declare a region above 1 TiB and ran as processes; verbs that hung on them: %v", h.huge, h.hangs)
	for _, g := range h.growers {
		t.Logf("in-process peak RSS grew %d MiB: %s %s", g.grewKB>>10, h.verbs[g.verb].name, g.mu.Name)
	}
	faultOutOfProcess(t, tools, bases, h.verbs, h.sample, h.growers, h.fails)
	h.fails.summary()
}

// faultMutants sends the crafted mutants of every base, then n random
// ones; PROCSNAP_FAULT_ONLY keeps those whose name contains it.
func faultMutants(t *testing.T, bases []faultBase, seed uint64, n int) <-chan formattest.Mutant {
	var mutators []*formattest.Mutator
	for i, b := range bases {
		m, err := formattest.NewMutator(i, b.data, rand.New(rand.NewPCG(seed, uint64(i))))
		if err != nil {
			t.Fatalf("base %s: %v", b.name, err)
		}
		mutators = append(mutators, m)
	}
	only := os.Getenv("PROCSNAP_FAULT_ONLY")
	ch := make(chan formattest.Mutant, 4)
	go func() {
		defer close(ch)
		seq := 0
		send := func(mu formattest.Mutant) {
			seq++
			mu.Seq = seq // picks each verb's mode: the same for every run
			if only == "" || strings.Contains(mu.Name, only) {
				ch <- mu
			}
		}
		for _, fm := range mutators {
			for _, mu := range fm.Crafted(faultLong()) {
				send(mu)
			}
		}
		// The real capture is the slowest base: it gets a quarter of them.
		order := []int{0, 1, 2, 0, 1, 0, 2, 1, 0, 1, 2, 0, 1, 0, 2, 1, 0, 2, 1, 0}
		made := make([]int, len(mutators))
		for i := range n {
			b := order[i%len(order)] % len(mutators)
			send(mutators[b].Mutate(made[b]))
			made[b]++
		}
	}()
	return ch
}

// faultHarness runs mutants through the verbs, in-process, with a few
// workers, and collects what it finds.
type faultHarness struct {
	t     *testing.T
	tools faultTools
	bases []faultBase
	verbs []faultVerb
	fails *faultFailures
	n     int // random mutants

	mu      sync.Mutex
	done    int
	huge    int
	codes   map[string]map[int]int
	elapsed map[string]time.Duration
	hangs   map[string]int
	kinds   map[string]int // samples taken per kind
	sample  []faultSample
	growers []faultSample // the in-process runs whose RSS grew most
	stopped bool          // a verb hung: its goroutine cannot be stopped
}

func (h *faultHarness) runAll(mutants <-chan formattest.Mutant, workers int) {
	var wg sync.WaitGroup
	for w := range workers {
		wd := filepath.Join(h.t.TempDir(), strconv.Itoa(w))
		out := filepath.Join(wd, "out")
		if err := os.MkdirAll(out, 0o755); err != nil {
			h.t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for mu := range mutants {
				if !h.runOne(mu, filepath.Join(wd, "mutant.psnap"), out) {
					for range mutants { // drain
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	if h.stopped {
		h.t.Fatalf("a verb hung for %v: stopped (its goroutine cannot be stopped)", faultVerbHang)
	}
}

// runOne runs every verb on one mutant; false stops the run (a hang).
func (h *faultHarness) runOne(mu formattest.Mutant, mpath, out string) bool {
	if err := os.WriteFile(mpath, mu.Data, 0o600); err != nil {
		h.fails.add("harness", "write", mu.Name, nil, err.Error())
		return false
	}
	base := h.bases[mu.Base].path
	h.mu.Lock()
	if h.stopped {
		h.mu.Unlock()
		return false
	}
	h.done++
	i := mu.Seq
	if k := faultSampleKind(mu.Name, i, h.n); k != "" && h.kinds[k] < faultCount(3, 10) {
		h.kinds[k]++
		h.sample = append(h.sample, faultSample{mu: mu, verb: -1})
	}
	h.mu.Unlock()
	if faultHuge(mpath) {
		// A region of petabytes: run it where a hang can be killed.
		h.mu.Lock()
		h.huge++
		h.mu.Unlock()
		faultRunHuge(h, mu, mpath, base, out, i)
		return true
	}
	for vi, v := range h.verbs {
		args := v.args(mpath, base, out, i+vi)
		t0 := time.Now()
		rss0 := faultResetPeakRSS()
		code, stdout, stderr, panicked, hung := runVerbInProcess(args)
		grew := faultPeakRSS() - rss0
		h.mu.Lock()
		h.elapsed[fmt.Sprintf("base%d %s", mu.Base, v.name)] += time.Since(t0)
		h.growers = faultTopGrowers(h.growers, faultSample{mu: mu, verb: vi, grewKB: grew}, 8)
		if h.codes[v.name] == nil {
			h.codes[v.name] = map[int]int{}
		}
		h.codes[v.name][code]++
		h.mu.Unlock()
		switch {
		case hung:
			h.fails.add(v.name, "hung", mu.Name, mu.Data, strings.Join(args, " "))
			h.mu.Lock()
			h.stopped = true
			h.mu.Unlock()
			return false
		case panicked != "":
			h.fails.add(v.name, "panic", mu.Name, mu.Data, panicked)
		case !v.ok(code, stdout, stderr):
			h.fails.add(v.name, fmt.Sprintf("exit %d without a message", code), mu.Name, mu.Data,
				fmt.Sprintf("args %q stdout %q stderr %q", args, faultClip(stdout), faultClip(stderr)))
		}
		if bad, ok := faultCheckOutDir(out, "extract.bin", "core"); !ok {
			h.fails.add(v.name, "wrote outside -o or with a wrong mode", mu.Name, mu.Data, bad)
		}
	}
	return true
}

// faultHuge reports whether the archive at path declares a region larger
// than 1 TiB: work proportional to a region's size could then hang.
func faultHuge(path string) bool {
	r, err := format.Open(path)
	if err != nil {
		return false
	}
	defer r.Close()
	for _, g := range r.Regions() {
		if g.Desc.End-g.Desc.Start > 1<<40 {
			return true
		}
	}
	return false
}

// faultRunHuge runs every verb on a mutant as a separate process, killed
// after a few seconds. After two hangs of one verb, later huge mutants
// skip it (each hang costs the timeout).
func faultRunHuge(h *faultHarness, mu formattest.Mutant, mpath, base, out string, i int) {
	for vi, v := range h.verbs {
		h.mu.Lock()
		skip := h.hangs[v.name] >= 2
		h.mu.Unlock()
		if skip {
			continue
		}
		args := v.args(mpath, base, out, i+vi)
		r := faultStartProcsnap(h.t, h.tools, filepath.Dir(mpath), nil, args...).wait(3 * time.Second)
		if r.hung {
			h.mu.Lock()
			h.hangs[v.name]++
			h.mu.Unlock()
		}
		faultCheckProcess(h.fails, v, mu, r, out)
	}
}
