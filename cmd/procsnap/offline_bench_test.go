package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
	"github.com/procsnap/procsnap/snapshot/diff"
)

// BenchmarkOffline measures the offline verbs on a large pair of
// snapshots: PROCSNAP_BENCH_SIZE bytes (default 256MiB) in 8 regions, pages
// in turn zero, text and random (formattest.MixedPages); the second
// snapshot has 37 pages changed. Compare:
//
//	extract-4KiB   vs  decompress-all   (one page vs every chunk of one archive)
//	diff           vs  decompress-all   (headers of two archives vs every chunk of one)
//
//	go test -run '^$' -bench Offline -benchtime 5x ./cmd/procsnap
func BenchmarkOffline(b *testing.B) {
	size := int64(256 << 20)
	if s := os.Getenv("PROCSNAP_BENCH_SIZE"); s != "" {
		var err error
		if size, err = parseSize(s); err != nil || size < 8*offPS {
			b.Fatalf("PROCSNAP_BENCH_SIZE=%q: want a size of at least 32KiB (%v)", s, err)
		}
	}
	dir := b.TempDir()
	old, newer := filepath.Join(dir, "old.psnap"), filepath.Join(dir, "new.psnap")
	changed := benchChangedPages(size)
	writeBenchArchive(b, old, size, nil)
	writeBenchArchive(b, newer, size, changed)
	checkBenchDiff(b, old, newer, len(changed))
	page := benchRegionStart + uint64(size/8/offPS/2)*offPS // middle of region 0
	ctx := context.Background()
	b.Run("extract-4KiB", func(b *testing.B) {
		rng := fmt.Sprintf("%#x-%#x", page, page+offPS)
		for b.Loop() {
			if code := run(ctx, []string{"extract", "--range", rng, "-o", "-", old}, io.Discard, io.Discard); code != exitOK {
				b.Fatalf("extract: exit %d", code)
			}
		}
	})
	b.Run("decompress-all", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			decompressAll(b, old)
		}
	})
	for name, args := range map[string][]string{"diff": {"diff", old, newer}, "diff-strict": {"diff", "--strict", old, newer}} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if code := run(ctx, args, io.Discard, io.Discard); code != exitFailure {
					b.Fatalf("%v: exit %d, want 1", args, code)
				}
			}
		})
	}
}

const benchRegionStart = 0x7f0000000000

// benchChangedPages picks 37 distinct pages of the snapshot, spread out,
// with a pair of neighbours.
func benchChangedPages(size int64) map[int64]bool {
	rng := rand.New(rand.NewPCG(37, 37))
	pages := size / offPS
	out := map[int64]bool{pages / 3: true, pages/3 + 1: true}
	for len(out) < 37 {
		out[rng.Int64N(pages)] = true
	}
	return out
}

// writeBenchArchive writes size bytes of formattest.MixedPages in 8
// regions (a gap between each); changed pages (by page number over the
// whole snapshot) get new bytes.
func writeBenchArchive(b *testing.B, path string, size int64, changed map[int64]bool) {
	data := formattest.MixedPages(int(size))
	for p := range changed {
		binary.LittleEndian.PutUint64(data[p*offPS+offPS/2:], 0xc4a17ed)
	}
	per := size / 8 / offPS * offPS
	a := formattest.Archive{End: format.End{Complete: true}}
	for i := range int64(8) {
		start := benchRegionStart + uint64(i)*uint64(per+1<<20)
		a.Regions = append(a.Regions, formattest.Region{Desc: format.RegionDesc{Start: start, Perms: "rw-p"},
			Layout: strings.Repeat("D", int(per/offPS)), Data: data[i*per : (i+1)*per]})
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	a.Write(b, f)
}

// decompressAll is a plain decompression of the archive at path: how
// long opening it and reading every region takes.
func decompressAll(b *testing.B, path string) time.Duration {
	t0 := time.Now()
	r, err := format.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	formattest.ReadAll(b, r)
	return time.Since(t0)
}

// checkBenchDiff makes sure the pair differs in exactly the pages changed.
func checkBenchDiff(b *testing.B, old, newer string, want int) {
	ra, err := format.Open(old)
	if err != nil {
		b.Fatal(err)
	}
	defer ra.Close()
	rb, err := format.Open(newer)
	if err != nil {
		b.Fatal(err)
	}
	defer rb.Close()
	res, err := diff.Compare(context.Background(), ra, rb, diff.Options{})
	if err != nil || res.ChangedPages != uint64(want) {
		b.Fatalf("diff: %v, %d changed pages, want %d", err, res.ChangedPages, want)
	}
}
