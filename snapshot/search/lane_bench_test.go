package search

import (
	"testing"

	"github.com/procsnap/procsnap/format/formattest"
)

func BenchmarkLaneASCII(b *testing.B) {
	data := formattest.MixedPages(48 << 20)
	for _, kind := range []struct {
		name string
		mod  int
	}{{"text", 1}, {"random", 2}} {
		var pages []byte
		for p := 0; (p+1)*pg <= len(data); p++ {
			if p%3 == kind.mod {
				pages = append(pages, data[p*pg:(p+1)*pg]...)
			}
		}
		b.Run(kind.name, func(b *testing.B) {
			l := &lane{enc: EncodingASCII, minLen: 4, maxLen: 4096, arena: &arena{}}
			b.SetBytes(int64(len(pages)))
			n := 0
			c0 := cpuTime()
			for b.Loop() {
				l.reset(0, 1<<62)
				for off := 0; off < len(pages); off += 256 << 10 {
					l.feed(pages[off:min(off+256<<10, len(pages))], uint64(off))
					n += len(l.done)
					l.done = l.done[:0]
				}
			}
			b.ReportMetric(float64(n)/float64(b.N), "strings")
			b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/float64(len(pages)), "cpu-ns/B")
		})
	}
}
