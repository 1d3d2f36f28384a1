package format

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// MixedPages returns n bytes (a multiple of 4096) of pages that are in turn
// zero, text and random: the benchmark mix of docs/PERFORMANCE.md.
func mixedPages(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"the", "process", "memory", "region", "GET /index.html HTTP/1.1", "kernel", "0x7ffd12345678",
		"user=admin", "snapshot", "{\"id\":42,\"name\":\"procsnap\"}", "error:", "connection", "session", "token"}
	b := make([]byte, n)
	for p := 0; p*tps < n; p++ {
		page := b[p*tps : (p+1)*tps]
		switch p % 3 {
		case 1:
			var t []byte
			for len(t) < tps {
				t = append(t, words[rng.IntN(len(words))]...)
				t = append(t, ' ')
				if rng.IntN(8) == 0 {
					t = fmt.Appendf(t, "%d\n", rng.IntN(100000))
				}
			}
			copy(page, t)
		case 2:
			for i := 0; i < tps; i += 8 {
				v := rng.Uint64()
				for k := range 8 {
					page[i+k] = byte(v >> (8 * k))
				}
			}
		}
	}
	return b
}

func writeMixed(b testing.TB, w io.Writer, data []byte, workers int) *Writer {
	aw, err := NewWriter(w, WriterOptions{Workers: workers})
	if err != nil {
		b.Fatal(err)
	}
	if err := aw.BeginRegion(RegionDesc{Index: 0, Start: 0x10000000, End: 0x10000000 + uint64(len(data))}); err != nil {
		b.Fatal(err)
	}
	for off := 0; off < len(data); off += 8 << 20 {
		end := min(off+8<<20, len(data))
		if err := aw.WriteData(0x10000000+uint64(off), data[off:end]); err != nil {
			b.Fatal(err)
		}
	}
	if err := aw.EndRegion(MethodVMReadv, ""); err != nil {
		b.Fatal(err)
	}
	if err := aw.Close(End{Complete: true}); err != nil {
		b.Fatal(err)
	}
	return aw
}

const benchSize = 256 << 20

func BenchmarkWrite(b *testing.B) {
	data := mixedPages(benchSize)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var size int64
			for b.Loop() {
				aw := writeMixed(b, io.Discard, data, workers)
				size = aw.Size()
			}
			b.ReportMetric(float64(len(data))/float64(size), "ratio")
		})
	}
}

func BenchmarkReadVerify(b *testing.B) {
	data := mixedPages(benchSize)
	var buf bytes.Buffer
	writeMixed(b, &buf, data, 2)
	arch := buf.Bytes()
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r := open(b, arch)
			g := r.Regions()[0]
			if err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(Run) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if v := open(b, arch).Verify(context.Background()); !v.OK {
				b.Fatal(v.Problems)
			}
		}
	})
}
