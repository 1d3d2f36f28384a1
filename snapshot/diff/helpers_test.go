package diff

import (
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

const ps = 4096

// Page kinds of a test region.
const (
	kData       = iota // seeded random bytes, written as data
	kZeroData          // zeros written as data (the writer stores a zero page)
	kZeroFill          // a zero fill
	kUnreadable        // an unreadable fill (errno in seed: EIO or EFAULT)
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
	a := formattest.Archive{Options: format.WriterOptions{ChunkSize: chunk, Workers: 1}, End: format.End{Complete: true},
		Meta: &format.Meta{PID: 7, Comm: "t", CaptureStart: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	for _, g := range regs {
		a.Regions = append(a.Regions, g.region(t))
	}
	return a.Bytes(t)
}

// letters are the layout letters of the page kinds.
var letters = map[int]byte{kData: 'D', kZeroData: 'z', kZeroFill: 'Z', kNotCapt: 'N'}

// region is g as formattest writes it.
func (g tregion) region(t testing.TB) formattest.Region {
	r := formattest.Region{Desc: format.RegionDesc{Start: g.start, End: g.start + uint64(len(g.pages))*ps,
		Perms: g.perms, Path: g.path, Skip: g.skip}, Data: make([]byte, len(g.pages)*ps)}
	layout := make([]byte, len(g.pages))
	for i, p := range g.pages {
		layout[i] = letters[p.kind]
		if p.kind == kUnreadable {
			if layout[i] = formattest.Unreadable(uint32(p.seed)); layout[i] == 0 {
				t.Fatalf("unreadable page %d has errno %d: formattest writes EIO or EFAULT", i, p.seed)
			}
		}
		if p.kind == kData {
			copy(r.Data[i*ps:], dataPage(p.seed))
		}
	}
	r.Layout = string(layout)
	return r
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
