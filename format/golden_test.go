package format

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

const goldenV1 = "testdata/golden-v1.psnap"

// goldenLayout is the content of the golden archive: deterministic, so the
// test can check every byte a reader returns.
func goldenLayout() (*rand.Rand, []*layoutRegion) {
	rng := rand.New(rand.NewPCG(2026, 11))
	regs := genLayout(rng, []int{2, 9, 1, 20}, 0x7ffd0000)
	regs[2].skip = true
	return rng, regs
}

// TestGoldenV1 reads an archive written by format v1.0 and committed to
// testdata: every later reader must keep reading it. -update rewrites it
// (only do that when the format version changes).
func TestGoldenV1(t *testing.T) {
	rng, regs := goldenLayout()
	if *update {
		var buf bytes.Buffer
		writeLayout(t, &buf, rng, regs, 16<<10)
		if err := os.WriteFile(goldenV1, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Open(goldenV1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if maj, min := r.Version(); maj != 1 || min != 0 {
		t.Errorf("version %d.%d", maj, min)
	}
	checkLayout(t, r, regs)
	checkMeta(t, r)
	if l := r.Meta().XSaveLayout; l != nil {
		t.Errorf("a v1.0 archive written before xsave_layout existed reads a layout: %v", l)
	}
	if v := r.Verify(context.Background()); !v.OK {
		t.Fatalf("verify: %+v", v)
	}
}

// watchdog crashes the process with every goroutine's stack when the
// returned stop is not called within d: a slow input is a bug too (an
// archive must not be able to make procsnap spin).
func watchdog(d time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(d):
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			panic(fmt.Sprintf("input took over %v:\n%s", d, buf[:n]))
		}
	}()
	return func() { close(done) }
}

// FuzzReader opens arbitrary bytes, verifies them and reads every region:
// it must never panic, whatever the input.
func FuzzReader(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.psnap")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(Signature))
	var v2 bytes.Buffer // a pre-copied archive with as-pre-copied fills
	writeV2(f, &v2)
	f.Add(v2.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		defer watchdog(20 * time.Second)()
		r, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		r.Verify(context.Background())
		for _, g := range r.Regions() {
			_ = r.ReadRange(g, g.Desc.Start, g.Desc.End, func(Run) error { return nil })
			for _, s := range g.Spans() {
				if s.IsChunk() {
					_, _ = r.ChunkInfo(g, s)
				}
			}
		}
	})
}
