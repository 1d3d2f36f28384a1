package yarascan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

// A chunk whose stored bytes fail their checks is left out: the run is
// cut around it (no match spans it, none inside it is reported), it is a
// Problem, and the rest is scanned.
func TestDamagedChunk(t *testing.T) {
	needYara(t)
	regions := markerRegions(t)
	b := writeArchive(t, 16<<10, regions...)
	r := formattest.Open(t, b)
	// The heap's second chunk, pages 4-7: the nocase marker crosses into it,
	// run A continues in it, and run B starts in it.
	var bad format.Span
	for _, s := range r.Region(0).Spans() {
		if s.IsChunk() && s.Start == heapBase+4*pg {
			bad = s
		}
	}
	if bad.End != heapBase+8*pg {
		t.Fatalf("no chunk at pages 4-7: %+v", bad)
	}
	b[bad.Offset()+int64(len(b)/4096)+200] ^= 0xff // in the stored bytes, past the header
	r = formattest.Open(t, b)
	rs := loadRules(t, "testdata/markers.yar")
	for _, piece := range []uint64{8 << 20, 4 << 10} {
		t.Run(fmt.Sprint(piece), func(t *testing.T) {
			withPieceBytes(t, piece)
			got, res := scanAll(t, rs, []Source{{Reader: r}}, Options{})
			want := slices.DeleteFunc(markerHits(), func(l string) bool { return strings.Contains(l, "TextNocase") })
			if !slices.Equal(sorted(got), sorted(want)) {
				t.Errorf("found\n%s\nwant\n%s", strings.Join(sorted(got), "\n"), strings.Join(sorted(want), "\n"))
			}
			if len(res.Problems) != 1 || res.Problems[0].Start != bad.Start || res.Problems[0].End != bad.End || res.Problems[0].Region != 0 {
				t.Errorf("problems %v, want the chunk %#x-%#x", res.Problems, bad.Start, bad.End)
			}
			// Run A loses pages 4-5, run B page 7: runs 0-3, 8-9, and the four others.
			if sc := res.Scanned[0]; sc.Runs != 6 || sc.Bytes != uint64(126976-3*pg) {
				t.Errorf("scanned %+v", sc)
			}
		})
	}
}

// Many runs in many batches: every run is scanned once, in order.
func TestManyRuns(t *testing.T) {
	needYara(t)
	m := newRegion(0, heapBase, "[heap]", strings.Repeat("Dz", 300))
	for i := range 300 {
		m.put(t, heapBase+uint64(2*i*pg+i), []byte("PSYARA-TEXT-MARKER"))
	}
	r := formattest.Open(t, writeArchive(t, 64<<10, m))
	rs := loadRules(t, "testdata/markers.yar")
	for _, opts := range []Options{{}, {BatchRuns: 7}, {BatchBytes: 40 << 10}} {
		var got []uint64
		res, err := rs.Scan(context.Background(), []Source{{Reader: r}}, opts, func(h Hit) error {
			got = append(got, h.Strings[0].Addr)
			return nil
		})
		must(t, err)
		if len(got) != 300 || res.Scanned[0].Runs != 300 || !slices.IsSorted(got) || got[299] != heapBase+598*pg+299 {
			t.Errorf("%+v: %d hits (sorted %v), %+v", opts, len(got), slices.IsSorted(got), res.Scanned)
		}
	}
}

// Several sources: hits name theirs, in the order given; --region-like
// selections scan only the regions given.
func TestSources(t *testing.T) {
	needYara(t)
	regions := markerRegions(t)
	r1 := formattest.Open(t, writeArchive(t, 16<<10, regions...))
	lib := *regions[1]
	lib.Desc.Index = 0
	r2 := formattest.Open(t, writeArchive(t, 1<<20, &lib))
	rs := loadRules(t, "testdata/markers.yar")
	var got []string
	res, err := rs.Scan(context.Background(), []Source{{Reader: r2}, {Reader: r1, Regions: []*format.Region{r1.Region(1)}}}, Options{}, func(h Hit) error {
		got = append(got, fmt.Sprintf("%d %s %#x", h.Source, h.Rule.Name, h.Start))
		return nil
	})
	must(t, err)
	want := []string{"0 HexWild 0x7f0000000000", "0 AnyOf 0x7f0000000000", "0 Gap 0x7f0000000000",
		"1 HexWild 0x7f0000000000", "1 AnyOf 0x7f0000000000", "1 Gap 0x7f0000000000"}
	if !slices.Equal(got, want) || res.Hits != 6 || res.Scanned[0].Runs != 1 || res.Scanned[1].Runs != 1 {
		t.Errorf("hits %q, %+v", got, res)
	}
}

// The callback's error stops the scan; so does a cancelled context.
func TestScanStops(t *testing.T) {
	needYara(t)
	r := formattest.Open(t, writeArchive(t, 16<<10, markerRegions(t)...))
	rs := loadRules(t, "testdata/markers.yar")
	boom := errors.New("boom")
	n := 0
	_, err := rs.Scan(context.Background(), []Source{{Reader: r}}, Options{BatchRuns: 1}, func(Hit) error {
		n++
		return boom
	})
	if !errors.Is(err, boom) || n != 1 {
		t.Errorf("callback error: %v after %d calls", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rs.Scan(ctx, []Source{{Reader: r}}, Options{}, func(Hit) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
