package diff

import (
	"bytes"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
)

const ps = 4096

// Page kinds of a test region.
const (
	kData       = iota // seeded random bytes, written as data
	kZeroData          // zeros written as data (the writer stores a zero page)
	kZeroFill          // a zero fill
	kUnreadable        // an unreadable fill (errno in seed)
	kNotCapt           // a not-captured fill
)

type tpage struct {
	kind int
	seed uint64
}

type tregion struct {
	start       uint64
	perms, path string
	skip        string
	pages       []tpage
}

func dataPage(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 77))
	b := make([]byte, ps)
	for i := 0; i < ps; i += 8 {
		v := rng.Uint64()
		for k := range 8 {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	return b
}

func dataPages(n int, seed uint64) []tpage {
	out := make([]tpage, n)
	for i := range out {
		out[i] = tpage{kData, seed + uint64(i)}
	}
	return out
}

func clonePages(p []tpage) []tpage { return append([]tpage(nil), p...) }

// build writes regions as an archive with the given chunk size.
func build(t testing.TB, regs []tregion, chunk int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := format.NewWriter(&buf, format.WriterOptions{ChunkSize: chunk, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteMeta(&format.Meta{PID: 7, Comm: "t", CaptureStart: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}))
	for i, g := range regs {
		end := g.start + uint64(len(g.pages))*ps
		must(w.BeginRegion(format.RegionDesc{Index: i, Start: g.start, End: end, Perms: g.perms, Path: g.path, Skip: g.skip}))
		if g.skip == "" {
			for k := 0; k < len(g.pages); {
				k = writeRun(t, w, g, k)
			}
		}
		must(w.EndRegion(format.MethodVMReadv, ""))
	}
	must(w.Close(format.End{Complete: true}))
	return buf.Bytes()
}

// writeRun writes the run of pages of one kind starting at page k.
func writeRun(t testing.TB, w *format.Writer, g tregion, k int) int {
	t.Helper()
	p := g.pages[k]
	addr := g.start + uint64(k)*ps
	var err error
	switch p.kind {
	case kData, kZeroData:
		var data []byte
		j := k
		for ; j < len(g.pages) && (g.pages[j].kind == kData || g.pages[j].kind == kZeroData); j++ {
			if g.pages[j].kind == kData {
				data = append(data, dataPage(g.pages[j].seed)...)
			} else {
				data = append(data, make([]byte, ps)...)
			}
		}
		err = w.WriteData(addr, data)
		k = j - 1
	case kZeroFill:
		err = w.WriteFill(addr, addr+ps, format.PageZero, 0)
	case kUnreadable:
		err = w.WriteFill(addr, addr+ps, format.PageUnreadable, uint32(p.seed))
	case kNotCapt:
		err = w.WriteFill(addr, addr+ps, format.PageNotCaptured, 0)
	}
	if err == nil {
		err = w.Flush() // WriteData keeps data until Flush
	}
	if err != nil {
		t.Fatal(err)
	}
	return k + 1
}

// countingReaderAt counts the bytes read from an archive.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

func open(t testing.TB, b []byte) *format.Reader {
	t.Helper()
	r, err := format.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}
