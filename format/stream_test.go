package format

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"testing"
)

func TestTenThousandTinyRegions(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	sizes := make([]int, 10000)
	for i := range sizes {
		sizes[i] = 1 + i%2
	}
	regs := genLayout(rng, sizes, 0x10000)
	regs[17].skip = true
	var buf bytes.Buffer
	writeLayout(t, &buf, rng, regs, 0)
	r, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	checkLayout(t, r, regs)
	if v := r.Verify(context.Background()); !v.OK || v.RegionsChecked != 10000 {
		t.Fatalf("verify: ok=%v checked=%d problems=%v", v.OK, v.RegionsChecked, v.Problems)
	}
}

// nonSeeker hides every method but Write, proving the Writer never seeks.
type nonSeeker struct{ w io.Writer }

func (n nonSeeker) Write(p []byte) (int, error) { return n.w.Write(p) }

func TestStreamThroughPipe(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	regs := genLayout(rng, []int{100, 3, 250}, 0x400000)
	pr, pw := io.Pipe()
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(pr)
		got <- b
	}()
	aw := writeLayout(t, nonSeeker{pw}, rng, regs, 32<<10)
	pw.Close()
	b := <-got
	if aw.Digest() != sha(b) {
		t.Errorf("Digest differs from the SHA-256 of the bytes written")
	}
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	checkLayout(t, r, regs)
}

func TestPartialRegionAndIncompleteClose(t *testing.T) {
	var buf bytes.Buffer
	aw, err := NewWriter(&buf, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte{7}, 3*tps)
	_ = aw.BeginRegion(RegionDesc{Index: 0, Start: 0x1000, End: 0x1000 + 10*tps, Perms: "rw-p"})
	if err := aw.WriteData(0x1000, data); err != nil {
		t.Fatal(err)
	}
	if err := aw.WriteData(0x9000, data); err == nil {
		t.Errorf("a run that skips addresses was accepted")
	}
	if err := aw.Close(End{Complete: false, Reason: "interrupted"}); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	g := r.Regions()[0]
	if g.State() != RegionPartial || g.Footer.NotCapturedBytes != 7*tps || g.Footer.DataBytes != 3*tps {
		t.Errorf("footer %+v", g.Footer)
	}
	if r.Complete() || r.End().Reason != "interrupted" {
		t.Errorf("complete=%v end=%+v", r.Complete(), r.End())
	}
	v := r.Verify(context.Background())
	if v.OK || v.Complete || len(v.Problems) != 0 {
		t.Errorf("verify of an intact incomplete archive: %+v", v)
	}
}

// failWriter fails after n bytes, like a full disk or a closed pipe.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, io.ErrClosedPipe
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriteErrorIsSticky(t *testing.T) {
	aw, err := NewWriter(&failWriter{n: 100}, WriterOptions{ChunkSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	_ = aw.BeginRegion(RegionDesc{Index: 0, Start: 0, End: 4 << 20})
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	var werr error
	for off := 0; off < len(data) && werr == nil; off += 1 << 20 {
		werr = aw.WriteData(uint64(off), data[off:off+1<<20])
		if werr == nil {
			werr = aw.Flush()
		}
	}
	if werr == nil {
		t.Fatal("no error from a failing writer")
	}
	if err := aw.Close(End{}); err == nil {
		t.Errorf("Close after a write error returned nil")
	}
	if err := aw.WriteMaps(nil); err == nil {
		t.Errorf("write after Close returned nil")
	}
}

func TestAbortWritesNothing(t *testing.T) {
	var buf bytes.Buffer
	aw, err := NewWriter(&buf, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = aw.WriteMeta(&Meta{PID: 1})
	aw.Abort()
	if buf.Len() != 0 {
		t.Errorf("Abort let %d bytes through", buf.Len())
	}
	if err := aw.WriteMaps(nil); err == nil {
		t.Errorf("write after Abort succeeded")
	}
	if err := aw.Close(End{}); err == nil {
		t.Errorf("Close after Abort succeeded")
	}
}
