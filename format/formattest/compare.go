package formattest

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// Same checks that two archives hold the same maps and regions: the same
// descriptors, footer states, hashes and counters, and the same contents
// (Content). Archives of one process written differently (piped or to a
// file, with a small buffer or a pre-copy) must be Same.
func Same(t testing.TB, a, b *format.Reader) {
	t.Helper()
	if !bytes.Equal(a.Maps(), b.Maps()) {
		t.Error("the maps differ")
	}
	ra, rb := a.Regions(), b.Regions()
	if len(ra) != len(rb) {
		t.Fatalf("%d regions and %d regions", len(ra), len(rb))
	}
	for i := range ra {
		da, db := ra[i].Desc, rb[i].Desc
		if da != db {
			t.Errorf("region %d: descriptors differ:\n%+v\n%+v", i, da, db)
			continue
		}
		fa, fb := ra[i].Footer, rb[i].Footer
		if fa == nil || fb == nil || fa.State != fb.State || fa.Hash != fb.Hash || fa.DataBytes != fb.DataBytes ||
			fa.ZeroBytes != fb.ZeroBytes || fa.UnreadableBytes != fb.UnreadableBytes || fa.NotCapturedBytes != fb.NotCapturedBytes {
			t.Errorf("region %d (%s): footers differ:\n%+v\n%+v", i, da.MapsLine, fa, fb)
			continue
		}
		if Content(t, a, ra[i]) != Content(t, b, rb[i]) {
			t.Errorf("region %d (%s): contents differ", i, da.MapsLine)
		}
	}
}

// Content describes a region's pages as merged runs of one state (zero
// pages count as data whose bytes are zero), then its bytes: two regions
// hold the same whatever the chunks and fills they were written in.
func Content(t testing.TB, r *format.Reader, g *format.Region) string {
	t.Helper()
	var runs []format.Run
	var data bytes.Buffer
	err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(run format.Run) error {
		switch run.State {
		case format.PageZero:
			if run.Data == nil {
				run.Data = make([]byte, run.End-run.Start)
			}
			run.State = format.PageData
			fallthrough
		case format.PageData:
			data.Write(run.Data)
		}
		if n := len(runs); n > 0 && runs[n-1].State == run.State && runs[n-1].Errno == run.Errno && runs[n-1].End == run.Start {
			runs[n-1].End = run.End
			return nil
		}
		runs = append(runs, format.Run{Start: run.Start, End: run.End, State: run.State, Errno: run.Errno})
		return nil
	})
	if err != nil {
		t.Fatalf("region %d: %v", g.Desc.Index, err)
	}
	return fmt.Sprint(runs) + "\n" + data.String()
}
