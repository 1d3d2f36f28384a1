package capture

import (
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
	"github.com/procsnap/procsnap/internal/proctest"
)

// TestCaptureSmallBuffer captures a stopped target with 64 MiB of data
// ($PROCSNAP_BIG_MIB, at least 16) whole under the freeze through an 8 MiB
// page store, which overflows (parts are written while frozen), with the
// default store, and by pre-copy: the archives hold the same regions and
// the same bytes.
func TestCaptureSmallBuffer(t *testing.T) {
	bigMiB := envInt(t, bigMiBEnv, 64)
	if bigMiB < 16 {
		t.Fatalf("$%s is %d, want at least 16 (twice the 8 MiB store)", bigMiBEnv, bigMiB)
	}
	tg := proctest.StartThreads(t, 2, bigMiB)
	proctest.Suspend(t, tg.PID)
	small, sres, _ := captureFile(t, tg.PID, Options{Mode: ModeWhole, BufferSize: 8 << 20})
	whole, wres, _ := captureFile(t, tg.PID, Options{Mode: ModeWhole})
	pre, pres, _ := captureFile(t, tg.PID, Options{})
	if !sres.Overflowed || sres.BufferBytes != 8<<20 {
		t.Errorf("8 MiB store: Overflowed %v, BufferBytes %d", sres.Overflowed, sres.BufferBytes)
	}
	if wres.Overflowed || pres.Overflowed {
		t.Errorf("default store overflowed: whole %v, pre-copy %v", wres.Overflowed, pres.Overflowed)
	}
	if pres.ChangedBytes != 0 || pres.RereadBytes == 0 || pres.PrecopyBytes < uint64(bigMiB)<<20 {
		t.Errorf("pre-copy of a stopped target: changed %d, re-read %d, pre-copied %d", pres.ChangedBytes, pres.RereadBytes, pres.PrecopyBytes)
	}
	// The region may be larger than the random data where the kernel
	// merged an adjacent mapping into it (a thread stack, in a static target).
	if n := dataBytes(t, small, tg.Big, tg.Big+tg.BigLen); n != tg.BigLen {
		t.Errorf("%d bytes of the %d MiB filled with random data are data in the archive, want all", n, bigMiB)
	}
	formattest.Same(t, small, whole)
	formattest.Same(t, pre, whole)
	if sres.CapturedBytes != wres.CapturedBytes || sres.UnreadableBytes != wres.UnreadableBytes {
		t.Errorf("Results differ: %+v and %+v", *sres, *wres)
	}
	proctest.WaitAll(t, tg.PID, 'T')
}

// dataBytes counts the bytes of [a, b), inside one region, that the
// archive holds as data.
func dataBytes(t *testing.T, r *format.Reader, a, b uint64) uint64 {
	t.Helper()
	g := r.Find(a)
	if g == nil || g.Desc.End < b {
		t.Fatalf("no region holds %#x-%#x", a, b)
	}
	var n uint64
	err := r.ReadRange(g, a, b, func(run format.Run) error {
		if run.State == format.PageData {
			n += run.End - run.Start
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read %#x-%#x: %v", a, b, err)
	}
	return n
}

// TestPageStore: the store hands out slabs up to its budget, then says
// no; reset makes them available again; put reports contiguous pages.
func TestPageStore(t *testing.T) {
	st := &pageStore{budget: 2 * slabSize}
	defer st.release()
	w := slabWriter{store: st}
	page := make([]byte, 4096)
	var prev []byte
	for i := range 2 * slabSize / 4096 {
		page[0] = byte(i)
		b, follows, ok := w.put(page)
		if !ok {
			t.Fatalf("page %d: store full below its budget", i)
		}
		if want := i%(slabSize/4096) != 0; follows != want {
			t.Fatalf("page %d: follows %v, want %v", i, follows, want)
		}
		if follows && &prev[:cap(prev)][4096] != &b[0] {
			t.Fatalf("page %d does not follow the page before in memory", i)
		}
		prev = b
	}
	if _, _, ok := w.put(page); ok {
		t.Fatal("store took a page beyond its budget")
	}
	st.reset()
	w.drop()
	if _, _, ok := w.put(page); !ok {
		t.Fatal("store full after reset")
	}
}
