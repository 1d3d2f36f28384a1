package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

// BenchmarkSearchCLI runs the search verb, output included (to io.Discard),
// over a snapshot of PROCSNAP_BENCH_SIZE bytes (default 256 MiB) whose pages
// are in turn zero, text and random, and reports x-decompress: the time of
// a plain decompression of the same archive (timed before each run) over
// the verb's, in wall time and in CPU time. BenchmarkSearch in
// snapshot/search measures the search alone.
func BenchmarkSearchCLI(b *testing.B) {
	path := srchBenchArchive(b)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"string", []string{"--string", formattest.Needle}},
		{"string-json", []string{"--json", "--string", "session", "--max", "100000"}},
		{"strings", []string{"--strings"}},
		{"strings-json", []string{"--json", "--strings"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var plain, verb, plainCPU, verbCPU time.Duration
			for b.Loop() {
				b.StopTimer()
				c0 := srchCPUTime()
				plain += decompressAll(b, path)
				c1 := srchCPUTime()
				b.StartTimer()
				t0 := time.Now()
				args := append(append([]string{"search"}, c.args...), path)
				if code := run(context.Background(), args, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
				verb += time.Since(t0)
				plainCPU, verbCPU = plainCPU+c1-c0, verbCPU+srchCPUTime()-c1
			}
			b.ReportMetric(plain.Seconds()/verb.Seconds(), "x-decompress")
			b.ReportMetric(plainCPU.Seconds()/verbCPU.Seconds(), "cpu-x-decompress")
		})
	}
}

// srchBenchArchive writes the snapshot of BenchmarkSearch in snapshot/search:
// one region of formattest.MixedPages.
func srchBenchArchive(b *testing.B) string {
	size := 256 << 20
	if s := os.Getenv("PROCSNAP_BENCH_SIZE"); s != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "MiB"))
		if err != nil || n <= 0 {
			b.Fatalf("PROCSNAP_BENCH_SIZE=%q: want a number of MiB", s)
		}
		size = n << 20
	}
	path := filepath.Join(b.TempDir(), "bench.psnap")
	formattest.Archive{End: format.End{Complete: true}, Regions: []formattest.Region{{
		Desc:   format.RegionDesc{Start: 0x7f0000000000, Perms: "rw-p", Path: "[heap]"},
		Layout: strings.Repeat("D", size/srchPage), Data: formattest.MixedPages(size),
	}}}.WriteFile(b, path)
	return path
}
