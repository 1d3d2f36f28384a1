package search

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
)

// benchSize is the size of the benchmark snapshot: PROCSNAP_BENCH_SIZE
// (bytes, or with a KiB/MiB/GiB suffix), default 256 MiB.
func benchSize(b *testing.B) int {
	s := os.Getenv("PROCSNAP_BENCH_SIZE")
	if s == "" {
		return 256 << 20
	}
	mult := 1
	for suffix, m := range map[string]int{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("PROCSNAP_BENCH_SIZE=%q: want bytes or a number with KiB, MiB or GiB", os.Getenv("PROCSNAP_BENCH_SIZE"))
	}
	return (n * mult) / pg * pg
}

// benchPages returns n bytes of pages that are in turn zero, text and
// random, with "procsnap-needle" planted once every 1000 text pages.
func benchPages(n int) []byte {
	rng := rand.New(rand.NewPCG(5, 6))
	words := []string{"the", "process", "memory", "region", "GET /index.html HTTP/1.1", "kernel", "0x7ffd12345678",
		"user=admin", "snapshot", "{\"id\":42,\"name\":\"procsnap\"}", "error:", "connection", "session", "token"}
	b := make([]byte, n)
	var t []byte
	for p := 0; (p+1)*pg <= n; p++ {
		page := b[p*pg : (p+1)*pg]
		switch p % 3 {
		case 1:
			t = t[:0]
			for len(t) < pg {
				t = append(t, words[rng.IntN(len(words))]...)
				t = append(t, ' ')
				if rng.IntN(8) == 0 {
					t = fmt.Appendf(t, "%d\n", rng.IntN(100000))
				}
			}
			if p%3000 == 1 {
				copy(t[rng.IntN(pg-20):], "procsnap-needle")
			}
			copy(page, t)
		case 2:
			for i := 0; i < pg; i += 8 {
				v := rng.Uint64()
				for k := range 8 {
					page[i+k] = byte(v >> (8 * k))
				}
			}
		}
	}
	return b
}

var bench struct {
	once    sync.Once
	archive []byte
	size    int
}

// benchArchive writes the benchmark snapshot once, with the default chunk
// size, as one region.
func benchArchive(b *testing.B) ([]byte, int) {
	bench.once.Do(func() {
		data := benchPages(benchSize(b))
		var buf bytes.Buffer
		aw, err := format.NewWriter(&buf, format.WriterOptions{})
		if err != nil {
			b.Fatal(err)
		}
		const start = 0x7f0000000000
		if err := aw.BeginRegion(format.RegionDesc{Index: 0, Start: start, End: start + uint64(len(data)), Perms: "rw-p", Path: "[heap]"}); err != nil {
			b.Fatal(err)
		}
		for off := 0; off < len(data); off += 8 << 20 {
			if err := aw.WriteData(start+uint64(off), data[off:min(off+8<<20, len(data))]); err != nil {
				b.Fatal(err)
			}
		}
		if err := aw.EndRegion(format.MethodVMReadv, ""); err != nil {
			b.Fatal(err)
		}
		if err := aw.Close(format.End{Complete: true}); err != nil {
			b.Fatal(err)
		}
		bench.archive, bench.size = buf.Bytes(), len(data)
	})
	return bench.archive, bench.size
}

// decompressAll is plain decompression: ReadRange over every region, the
// bytes discarded.
func decompressAll(b *testing.B, archive []byte) time.Duration {
	t0 := time.Now()
	r, err := format.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		b.Fatal(err)
	}
	for _, g := range r.Regions() {
		if err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(format.Run) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(t0)
}

// BenchmarkSearch searches the mixed snapshot and reports, beside the
// throughput, x-decompress: the wall time of a plain decompression (timed
// just before each search, outside the benchmark timer, so that both see
// the same machine load) over the search's wall time; 1.0 means that the
// search takes no longer than reading the archive once. cpu-x-decompress is
// the same ratio in process CPU time (GC included): it shows the cost of
// searching apart from the parallelism, and holds on a loaded machine.
func BenchmarkSearch(b *testing.B) {
	archive, size := benchArchive(b)
	b.Run("decompress", func(b *testing.B) {
		b.SetBytes(int64(size))
		for b.Loop() {
			decompressAll(b, archive)
		}
	})
	text, _ := NewText("procsnap-needle", TextOptions{})
	textWide, _ := NewText("procsnap-needle", TextOptions{Wide: true, IgnoreCase: true})
	common, _ := NewText("session", TextOptions{})
	strs, _ := NewStrings(0, false, 0)
	strsWide, _ := NewStrings(0, true, 0)
	re, _ := NewRegex(`procsnap-[a-z]+`, false, 0)
	cases := []struct {
		name    string
		q       *Query
		context int
	}{
		{"string", text, 16},
		{"string-wide-icase", textWide, 16},
		{"string-common", common, 16},
		{"strings", strs, 0},
		{"strings-wide", strsWide, 0},
		{"regex", re, 16},
	}
	for _, c := range cases {
		for _, workers := range []int{0, 1} {
			b.Run(fmt.Sprintf("%s/workers=%d", c.name, workers), func(b *testing.B) {
				benchQuery(b, archive, size, c.q, Options{Context: c.context, Workers: workers})
			})
		}
	}
}

func benchQuery(b *testing.B, archive []byte, size int, q *Query, opts Options) {
	r, err := format.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	var plain, search, plainCPU, searchCPU time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		c0 := cpuTime()
		plain += decompressAll(b, archive)
		c1 := cpuTime()
		b.StartTimer()
		t0 := time.Now()
		n = 0
		if _, err := Search(context.Background(), r, q, opts, func(Match) error {
			n++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		search += time.Since(t0)
		plainCPU, searchCPU = plainCPU+c1-c0, searchCPU+cpuTime()-c1
	}
	b.ReportMetric(float64(n), "matches")
	b.ReportMetric(plain.Seconds()/search.Seconds(), "x-decompress")
	b.ReportMetric(plainCPU.Seconds()/searchCPU.Seconds(), "cpu-x-decompress")
}
