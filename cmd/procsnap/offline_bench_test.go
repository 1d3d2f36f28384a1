package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/snapshot/diff"
)

// BenchmarkOffline measures the offline verbs on a large pair of
// snapshots written with format.Writer: PROCSNAP_BENCH_SIZE bytes (default
// 256MiB) in 8 regions, pages in turn zero, text and random; the second
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

// writeBenchArchive writes size bytes in 8 regions (a gap between each);
// changed pages (by page number over the whole snapshot) get new bytes.
func writeBenchArchive(b *testing.B, path string, size int64, changed map[int64]bool) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w, err := format.NewWriter(f, format.WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	per := size / 8 / offPS * offPS
	buf := make([]byte, per)
	for i := range 8 {
		start := benchRegionStart + uint64(i)*uint64(per+1<<20)
		d := format.RegionDesc{Index: i, Start: start, End: start + uint64(per), Perms: "rw-p"}
		fillBenchRegion(buf, int64(i)*per/offPS, changed)
		for _, err := range []error{w.BeginRegion(d), w.WriteData(start, buf), w.Flush(), w.EndRegion(format.MethodVMReadv, "")} {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Close(format.End{Complete: true}); err != nil {
		b.Fatal(err)
	}
}

var benchWords = []string{"the", "process", "memory", "GET /index.html HTTP/1.1", "user=admin", "0x7ffd12345678",
	"{\"id\":42,\"name\":\"procsnap\"}", "session", "token", "error:", "connection", "kernel"}

// fillBenchRegion fills buf with pages zero, text, random in turn; first is
// the snapshot-wide number of buf's first page.
func fillBenchRegion(buf []byte, first int64, changed map[int64]bool) {
	rng := rand.New(rand.NewPCG(uint64(first), 1))
	for p := 0; p*offPS < len(buf); p++ {
		page := buf[p*offPS : (p+1)*offPS]
		clear(page)
		switch p % 3 {
		case 1:
			for k := 0; k < offPS; {
				k += copy(page[k:], benchWords[rng.IntN(len(benchWords))]+" ")
			}
		case 2:
			for k := 0; k < offPS; k += 8 {
				binary.LittleEndian.PutUint64(page[k:], rng.Uint64())
			}
		}
		if changed[first+int64(p)] {
			binary.LittleEndian.PutUint64(page[offPS/2:], 0xc4a17ed)
		}
	}
}

func decompressAll(b *testing.B, path string) {
	r, err := format.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for _, g := range r.Regions() {
		if err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(format.Run) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
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
