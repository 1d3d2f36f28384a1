package search

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// FuzzSearch runs every kind of query over damaged and forged archives: a
// search must never panic, whatever the archive holds.
func FuzzSearch(f *testing.F) {
	b, _, _ := plantedBytes(f)
	f.Add(b)
	f.Add(archiveBytes(f, 4096, randomRegions(rand.New(rand.NewPCG(1, 1)))))
	queries := hostileQueries(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		searchHostile(t, b, queries)
	})
}

// TestMutatedArchives is FuzzSearch's check over a fixed set of damaged
// archives: bytes changed, cut out, inserted, and the file truncated.
func TestMutatedArchives(t *testing.T) {
	b0, _, _ := plantedBytes(t)
	queries := hostileQueries(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 150 {
		b := append([]byte(nil), b0...)
		for range 1 + rng.IntN(4) {
			switch at := rng.IntN(len(b)); rng.IntN(4) {
			case 0:
				b[at] = byte(rng.Uint32())
			case 1:
				b = append(b[:at], b[min(len(b), at+1+rng.IntN(100)):]...)
			case 2:
				b = b[:at]
			case 3:
				b = append(b[:at:at], append(make([]byte, rng.IntN(50)), b[at:]...)...)
			}
			if len(b) < 100 {
				break
			}
		}
		searchHostile(t, b, queries)
	}
}

func hostileQueries(t testing.TB) []*Query {
	var queries []*Query
	for _, mk := range []func() (*Query, error){
		func() (*Query, error) { return NewText("needle", TextOptions{Wide: true, IgnoreCase: true}) },
		func() (*Query, error) { return NewRegex(`PLANT-\w+|needle\d+`, false, 64) },
		func() (*Query, error) { return NewStrings(3, true, 8) },
	} {
		q, err := mk()
		if err != nil {
			t.Fatal(err)
		}
		queries = append(queries, q)
	}
	return queries
}

// searchHostile opens b and runs the queries over it with small pieces:
// whatever b holds, nothing may panic and every match must be sound.
func searchHostile(t *testing.T, b []byte, queries []*Query) {
	r, err := format.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return
	}
	old := minPieceSize
	minPieceSize = 1
	defer func() { minPieceSize = old }()
	for _, q := range queries {
		opts := Options{Workers: 2}
		if q.kind != KindStrings {
			opts.Context = 5
		}
		_, err := Search(context.Background(), r, q, opts, func(m Match) error {
			g := m.Region
			if g == nil || m.Addr < g.Desc.Start || m.Addr+uint64(m.Len) > g.Desc.End || m.Len <= 0 {
				t.Errorf("match %#x+%d outside its region", m.Addr, m.Len)
			}
			return nil
		})
		if err != nil {
			t.Errorf("search: %v", err)
		}
	}
}
