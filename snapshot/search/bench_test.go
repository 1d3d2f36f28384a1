package search

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
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

var bench struct {
	once    sync.Once
	archive []byte
	size    int
}

// benchArchive writes the benchmark snapshot once, with the default chunk
// size, as one region.
func benchArchive(b *testing.B) ([]byte, int) {
	bench.once.Do(func() {
		data := formattest.MixedPages(benchSize(b))
		const start = 0x7f0000000000
		bench.archive = formattest.Archive{End: format.End{Complete: true}, Regions: []formattest.Region{{
			Desc:   format.RegionDesc{Start: start, Perms: "rw-p", Path: "[heap]"},
			Layout: strings.Repeat("D", len(data)/pg), Data: data,
		}}}.Bytes(b)
		bench.size = len(data)
	})
	return bench.archive, bench.size
}

// decompressAll is plain decompression: ReadRange over every region, the
// bytes discarded.
func decompressAll(b *testing.B, archive []byte) time.Duration {
	t0 := time.Now()
	formattest.ReadAll(b, formattest.Open(b, archive))
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
	text, _ := NewText(formattest.Needle, TextOptions{})
	textWide, _ := NewText(formattest.Needle, TextOptions{Wide: true, IgnoreCase: true})
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
	r := formattest.Open(b, archive)
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
