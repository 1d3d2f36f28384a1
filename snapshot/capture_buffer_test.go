package snapshot

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/procsnap/procsnap/format"
	"golang.org/x/sys/unix"
)

// TestCaptureSmallBuffer captures a stopped target with 64 MiB of data
// through an 8 MiB buffer, which overflows (parts are written while
// frozen), and with the default buffer: the archives hold the same regions
// and the same bytes.
func TestCaptureSmallBuffer(t *testing.T) {
	tg := startThreads(t, 2, 64)
	sigstop(t, tg.pid)
	small, sres, _ := captureFile(t, tg.pid, Options{BufferSize: 8 << 20})
	whole, wres, _ := captureFile(t, tg.pid, Options{})
	if !sres.Overflowed || sres.BufferBytes != 8<<20 {
		t.Errorf("8 MiB buffer: Overflowed %v, BufferBytes %d", sres.Overflowed, sres.BufferBytes)
	}
	if wres.Overflowed || wres.BufferBytes < 64<<20 {
		t.Errorf("default buffer: Overflowed %v, BufferBytes %d", wres.Overflowed, wres.BufferBytes)
	}
	if g := small.Find(tg.big); g == nil || g.Footer == nil || g.Footer.DataBytes != tg.bigLen {
		t.Errorf("the 64 MiB region is not all data: %+v", g)
	}
	sameArchives(t, small, whole)
	if sres.CapturedBytes != wres.CapturedBytes || sres.UnreadableBytes != wres.UnreadableBytes {
		t.Errorf("Results differ: %+v and %+v", *sres, *wres)
	}
	waitAll(t, tg.pid, 'T')
}

// sameArchives checks that two archives hold the same regions with the
// same states and bytes.
func sameArchives(t *testing.T, a, b *format.Reader) {
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
		ca, cb := regionContent(t, a, ra[i]), regionContent(t, b, rb[i])
		if ca != cb {
			t.Errorf("region %d (%s): contents differ", i, da.MapsLine)
		}
	}
}

// regionContent describes a region's pages as merged runs of one state
// (zero pages count as data whose bytes are zero) followed by the bytes.
func regionContent(t *testing.T, r *format.Reader, g *format.Region) string {
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

// TestGrowBuffer: a plan that outgrew the copy buffer grows it (the
// added part faulted in and usable), unless the user chose the size.
func TestGrowBuffer(t *testing.T) {
	buf, err := allocBuffer(8 << 20)
	if err != nil {
		t.Fatal(err)
	}
	c := &capture{ps: 4096, buf: buf, res: &Result{BufferBytes: 8 << 20}}
	defer func() { unix.Munmap(c.buf) }()
	c.growBuffer(64 << 20)
	if len(c.buf) < 64<<20 || c.res.BufferBytes != int64(len(c.buf)) {
		t.Fatalf("buffer of %d bytes (Result says %d) for a plan of 64 MiB", len(c.buf), c.res.BufferBytes)
	}
	c.buf[len(c.buf)-1] = 1
	mine := &capture{ps: 4096, buf: c.buf[:8<<20], res: &Result{}, opts: Options{BufferSize: 8 << 20}}
	mine.growBuffer(64 << 20)
	if len(mine.buf) != 8<<20 {
		t.Errorf("a buffer of the user's size grew to %d bytes", len(mine.buf))
	}
}
