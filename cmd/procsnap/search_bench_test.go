package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
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
		{"string", []string{"--string", "procsnap-needle"}},
		{"string-json", []string{"--json", "--string", "session", "--max", "100000"}},
		{"strings", []string{"--strings"}},
		{"strings-json", []string{"--json", "--strings"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var plain, verb, plainCPU, verbCPU time.Duration
			for b.Loop() {
				b.StopTimer()
				c0 := srchCPUTime()
				plain += srchDecompress(b, path)
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

func srchDecompress(b *testing.B, path string) time.Duration {
	t0 := time.Now()
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
	return time.Since(t0)
}

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
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	aw, err := format.NewWriter(f, format.WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	const start = 0x7f0000000000
	srchMustB(b, aw.BeginRegion(format.RegionDesc{Index: 0, Start: start, End: start + uint64(size), Perms: "rw-p", Path: "[heap]"}))
	rng := rand.New(rand.NewPCG(5, 6))
	words := []string{"the", "process", "memory", "GET /index.html HTTP/1.1", "user=admin", "session", "token", "error:"}
	for off := 0; off < size; off += 8 << 20 {
		data := make([]byte, min(8<<20, size-off))
		for p := 0; (p+1)*srchPage <= len(data); p++ {
			page := data[p*srchPage : (p+1)*srchPage]
			switch p % 3 {
			case 1:
				var t []byte
				for len(t) < srchPage {
					t = fmt.Appendf(t, "%s %d\n", words[rng.IntN(len(words))], rng.IntN(100000))
				}
				copy(page, t)
				if p%3000 == 1 {
					copy(page[100:], "procsnap-needle")
				}
			case 2:
				for i := range page {
					page[i] = byte(rng.Uint32())
				}
			}
		}
		srchMustB(b, aw.WriteData(start+uint64(off), data))
		srchMustB(b, aw.Flush())
	}
	srchMustB(b, aw.EndRegion(format.MethodVMReadv, ""))
	srchMustB(b, aw.Close(format.End{Complete: true}))
	return path
}

func srchMustB(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
