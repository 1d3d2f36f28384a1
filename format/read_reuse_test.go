package format

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// ReadRangeReuse hands out what ReadRange does, run for run and byte for
// byte, with one buffer serving every region and range, chunks of several
// sizes, sub-ranges that cut chunks, and an archive whose final section
// inherits pages from its pre-copy.
func TestReadRangeReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	var archives [][]byte
	for _, chunk := range []int{4096, 16 << 10, 1 << 20} {
		var buf bytes.Buffer
		writeLayout(t, &buf, rng, genLayout(rng, []int{300, 17, 64, 1}, 0x7f0000001000), chunk)
		archives = append(archives, buf.Bytes())
	}
	var v2 bytes.Buffer
	writeV2(t, &v2)
	archives = append(archives, v2.Bytes())
	var rb ReadBuffer
	for i, b := range archives {
		r := open(t, b)
		for _, g := range r.Regions() {
			ranges := [][2]uint64{{g.Desc.Start, g.Desc.End}}
			for range 5 {
				lo := g.Desc.Start + rng.Uint64N(g.Desc.Size()+1)
				ranges = append(ranges, [2]uint64{lo, lo + rng.Uint64N(g.Desc.End-lo+1)})
			}
			for _, rg := range ranges {
				want := collectRuns(t, func(fn func(Run) error) error { return r.ReadRange(g, rg[0], rg[1], fn) })
				got := collectRuns(t, func(fn func(Run) error) error { return r.ReadRangeReuse(g, rg[0], rg[1], &rb, fn) })
				if !reflect.DeepEqual(got, want) {
					t.Errorf("archive %d region %d %#x-%#x: reuse gave %v, ReadRange %v", i, g.Desc.Index, rg[0], rg[1], got, want)
				}
			}
		}
	}
}

// collectRuns keeps every run with a copy of its bytes.
func collectRuns(t *testing.T, read func(func(Run) error) error) []string {
	t.Helper()
	var out []string
	err := read(func(run Run) error {
		out = append(out, fmt.Sprintf("%#x-%#x %v %d %v %x", run.Start, run.End, run.State, run.Errno, run.Missing, run.Data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
