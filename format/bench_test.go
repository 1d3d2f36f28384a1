package format_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

// writeMixed writes data as one region. The Writer is what these benchmarks
// measure, so they call it themselves rather than through formattest.
func writeMixed(b testing.TB, w io.Writer, data []byte, workers int) *format.Writer {
	aw, err := format.NewWriter(w, format.WriterOptions{Workers: workers})
	if err != nil {
		b.Fatal(err)
	}
	if err := aw.BeginRegion(format.RegionDesc{Index: 0, Start: 0x10000000, End: 0x10000000 + uint64(len(data))}); err != nil {
		b.Fatal(err)
	}
	for off := 0; off < len(data); off += 8 << 20 {
		end := min(off+8<<20, len(data))
		if err := aw.WriteData(0x10000000+uint64(off), data[off:end]); err != nil {
			b.Fatal(err)
		}
	}
	if err := aw.EndRegion(format.MethodVMReadv, ""); err != nil {
		b.Fatal(err)
	}
	if err := aw.Close(format.End{Complete: true}); err != nil {
		b.Fatal(err)
	}
	return aw
}

const benchSize = 256 << 20

func BenchmarkWrite(b *testing.B) {
	data := formattest.MixedPages(benchSize)
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
	data := formattest.MixedPages(benchSize)
	var buf bytes.Buffer
	writeMixed(b, &buf, data, 2)
	arch := buf.Bytes()
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r := formattest.Open(b, arch)
			g := r.Regions()[0]
			if err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(format.Run) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if v := formattest.Open(b, arch).Verify(context.Background()); !v.OK {
				b.Fatal(v.Problems)
			}
		}
	})
}
