package search

import (
	"context"
	"fmt"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

const pg = 4096

// memRegion is a region to write into a test archive: its bytes and, per
// page, how it is stored. Data pages are written with WriteData, split into
// separate calls at the page indices in splits; runs of other pages become
// fills of that state.
type memRegion struct {
	desc   format.RegionDesc
	data   []byte
	state  []format.PageState
	splits map[int]bool
}

func newMemRegion(index int, start uint64, pages int, path string) *memRegion {
	return &memRegion{
		desc:   format.RegionDesc{Index: index, Start: start, End: start + uint64(pages*pg), Perms: "rw-p", Path: path},
		data:   make([]byte, pages*pg),
		state:  make([]format.PageState, pages),
		splits: map[int]bool{},
	}
}

// put writes b at address addr of the region.
func (m *memRegion) put(addr uint64, b []byte) {
	copy(m.data[addr-m.desc.Start:], b)
}

// setState stores page (by address) as state.
func (m *memRegion) setState(addr uint64, state format.PageState) {
	m.state[(addr-m.desc.Start)/pg] = state
}

// readable reports whether the page at index i is searched: data that is
// not all zero (the writer stores all-zero pages as zero pages).
func (m *memRegion) readable(i int) bool {
	if m.state[i] != format.PageData {
		return false
	}
	for _, c := range m.data[i*pg : (i+1)*pg] {
		if c != 0 {
			return true
		}
	}
	return false
}

// segments are the region's readable runs: address and bytes.
func (m *memRegion) segments() (out []memSeg) {
	for i := 0; i < len(m.state); {
		if !m.readable(i) {
			i++
			continue
		}
		j := i
		for j < len(m.state) && m.readable(j) {
			j++
		}
		out = append(out, memSeg{addr: m.desc.Start + uint64(i*pg), b: m.data[i*pg : j*pg], region: m.desc.Index})
		i = j
	}
	return out
}

type memSeg struct {
	addr   uint64
	b      []byte
	region int
}

// writeArchive writes the regions into an in-memory archive and opens it.
func writeArchive(t testing.TB, chunk int, regs []*memRegion) *format.Reader {
	t.Helper()
	return formattest.Open(t, archiveBytes(t, chunk, regs))
}

// archiveBytes writes the regions into an archive in memory.
func archiveBytes(t testing.TB, chunk int, regs []*memRegion) []byte {
	t.Helper()
	a := formattest.Archive{Options: format.WriterOptions{ChunkSize: chunk, Workers: 2}, End: format.End{Complete: true}}
	for _, m := range regs {
		a.Regions = append(a.Regions, m.region())
	}
	return a.Bytes(t)
}

// letters are the layout letters of the page states (unreadable: EFAULT).
var letters = map[format.PageState]byte{format.PageData: 'D', format.PageZero: 'Z',
	format.PageUnreadable: 'F', format.PageNotCaptured: 'N'}

// region is the region as formattest writes it.
func (m *memRegion) region() formattest.Region {
	g := formattest.Region{Desc: m.desc, Data: m.data}
	layout := make([]byte, len(m.state))
	for i, s := range m.state {
		layout[i] = letters[s]
		if m.splits[i] {
			g.Splits = append(g.Splits, i)
		}
	}
	g.Layout = string(layout)
	return g
}

// collect runs a search and returns its matches.
func collect(t testing.TB, r *format.Reader, q *Query, opts Options) ([]Match, Result) {
	t.Helper()
	var got []Match
	res, err := Search(context.Background(), r, q, opts, func(m Match) error {
		got = append(got, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, res
}

// withPieceSize cuts archives into pieces of n bytes (rounded to chunks)
// for the duration of a test.
func withPieceSize(t testing.TB, n uint64) {
	old := minPieceSize
	minPieceSize = n
	t.Cleanup(func() { minPieceSize = old })
}

func addrs(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%#x+%d", m.Addr, m.Len))
	}
	return out
}
