package format

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// streamAgrees reports whether a stream's verification judges as the
// file's: OK when it is OK, except for records a file may hold where they
// are but a stream cannot check there (never OK when the file is not).
func streamAgrees(s *StreamResult, f VerifyResult) bool {
	if s.OK == f.OK {
		return true
	}
	for _, p := range s.Problems {
		if !s.OK && strings.Contains(p.Problem, outOfOrder) {
			return true
		}
	}
	return false
}

// verifyBoth verifies b as a stream and as a file.
func verifyBoth(t testing.TB, b []byte) (*StreamResult, VerifyResult, error) {
	t.Helper()
	s, err := VerifyStream(context.Background(), iotest.HalfReader(bytes.NewReader(b)))
	var f VerifyResult
	if r, ferr := NewReader(bytes.NewReader(b), int64(len(b))); ferr == nil {
		f = r.Verify(context.Background())
	}
	return s, f, err
}

func TestVerifyStreamIntact(t *testing.T) {
	full, regs := sampleArchive(t)
	golden, err := os.ReadFile("testdata/golden-v1.psnap")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"sample": full, "golden-v1": golden} {
		t.Run(name, func(t *testing.T) {
			s, f, err := verifyBoth(t, b)
			if err != nil {
				t.Fatal(err)
			}
			if !s.OK || !s.Complete || !s.Trailer || !s.DigestChecked || len(s.Problems) > 0 {
				t.Errorf("stream: %+v", s.VerifyResult)
			}
			if s.RegionsChecked != f.RegionsChecked || s.Size != int64(len(b)) || s.SHA256 != sha(b) {
				t.Errorf("stream checked %d regions of %d bytes, file %d regions of %d", s.RegionsChecked, s.Size, f.RegionsChecked, len(b))
			}
		})
	}
	if len(regs) == 0 {
		t.Fatal("no regions")
	}
}

// TestVerifyStreamAgreesWithFile: for a truncation at every record
// boundary and at random, and for random corruption, the stream is judged
// as the file is: OK only when the file is, and complete only when the
// file is.
func TestVerifyStreamAgreesWithFile(t *testing.T) {
	full, _ := sampleArchive(t)
	offs, _ := records(t, full)
	rng := rand.New(rand.NewPCG(9, 9))
	var inputs [][]byte
	for _, o := range offs {
		inputs = append(inputs, full[:o], full[:o+1+rng.Int64N(40)])
	}
	for range 300 {
		b := bytes.Clone(full)
		b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		inputs = append(inputs, b)
	}
	for i, b := range inputs {
		s, f, err := verifyBoth(t, b)
		if err != nil {
			if _, ferr := NewReader(bytes.NewReader(b), int64(len(b))); ferr == nil {
				t.Errorf("input %d (%d bytes): the stream failed (%v), the file opens", i, len(b), err)
			}
			continue
		}
		// A stream cannot skip a damaged record frame by the index, as a
		// file does: it may be judged incomplete where the file is not.
		if !streamAgrees(s, f) || s.Complete && !f.Complete {
			t.Errorf("input %d (%d bytes): stream ok %v complete %v %+v; file ok %v complete %v %+v",
				i, len(b), s.OK, s.Complete, s.Problems, f.OK, f.Complete, f.Problems)
		}
		if !s.OK && len(s.Problems) == 0 && s.Complete {
			t.Errorf("input %d: not OK without a reason", i)
		}
	}
}

func TestVerifyStreamNamesDamage(t *testing.T) {
	full, _ := sampleArchive(t)
	offs, types := records(t, full)
	var chunks []int64
	for i, ty := range types {
		if ty == recChunk {
			chunks = append(chunks, offs[i])
		}
	}
	chunk := chunks[3]
	b := bytes.Clone(full)
	b[chunk+recHeaderLen+21+4] ^= 0x5a // a page hash in a chunk header
	resum(b, chunk)
	s, f, err := verifyBoth(t, b)
	if err != nil {
		t.Fatal(err)
	}
	region := int(b[chunk+recHeaderLen])
	if s.OK || !namesRegion(s.Problems, region) || s.Region(region) == nil || !slices.Equal(s.Problems, f.Problems) {
		t.Errorf("stream problems %+v, file problems %+v; want region %d named by both, alike", s.Problems, f.Problems, region)
	}
	if !s.Complete || !s.DigestChecked {
		t.Errorf("a damaged page does not make the archive incomplete: %+v", s.VerifyResult)
	}
}

func TestVerifyStreamNotAnArchive(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("PSN"), []byte("not an archive at all, at all")} {
		if _, err := VerifyStream(context.Background(), bytes.NewReader(b)); err == nil {
			t.Errorf("%q: no error", b)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	full, _ := sampleArchive(t)
	if _, err := VerifyStream(ctx, bytes.NewReader(full)); err == nil {
		t.Error("a cancelled verification returned no error")
	}
	if _, err := VerifyStream(context.Background(), io.MultiReader(bytes.NewReader(full[:100]), iotest.ErrReader(io.ErrClosedPipe))); err == nil {
		t.Error("a read error returned no error")
	}
}

// TestVerifyStreamOutOfOrder: regions out of index order, which a file
// may hold, are damage in a stream, never OK.
func TestVerifyStreamOutOfOrder(t *testing.T) {
	b := craft(descRec(1, 0x1000, 0x2000), rec(recFooter, Footer{Index: 1, State: RegionSkipped}.encode()),
		descRec(0, 0x3000, 0x4000), rec(recFooter, Footer{Index: 0, State: RegionSkipped}.encode()))
	s, _, err := verifyBoth(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if s.OK || s.Damaged == 0 {
		t.Errorf("out of order regions: %+v", s.VerifyResult)
	}
}

// FuzzVerifyStream reads and verifies arbitrary bytes as a stream: it must
// never panic nor hang, and judge them as Verify judges them as a file.
func FuzzVerifyStream(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.psnap")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
			f.Add(b[:len(b)*2/3])
		}
	}
	f.Add([]byte(Signature))
	f.Fuzz(func(t *testing.T, b []byte) {
		defer watchdog(20 * time.Second)()
		if rs, err := ReadStream(bytes.NewReader(b)); err == nil {
			for _, g := range rs.Regions() {
				for _, sp := range g.Spans() {
					if sp.IsChunk() {
						_, _ = rs.ChunkInfo(g, sp)
					}
				}
			}
		}
		s, err := VerifyStream(context.Background(), iotest.HalfReader(bytes.NewReader(b)))
		if err != nil {
			return
		}
		r, ferr := NewReader(bytes.NewReader(b), int64(len(b)))
		if ferr != nil {
			t.Fatalf("the stream verified (%+v), the file does not open: %v", s.VerifyResult, ferr)
		}
		if v := r.Verify(context.Background()); !streamAgrees(s, v) {
			t.Fatalf("stream ok %v complete %v %v; file ok %v complete %v %v", s.OK, s.Complete, s.Problems, v.OK, v.Complete, v.Problems)
		}
	})
}

// TestVerifyStreamBoundedMemory: 256 MiB of incompressible pages streamed
// through VerifyStream as a Writer makes them: the heap stays far below
// the stream's size.
func TestVerifyStreamBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 256 MiB of pages")
	}
	pr, pw := io.Pipe()
	go func() {
		aw, err := NewWriter(pw, WriterOptions{Workers: 2})
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		page := make([]byte, 1<<20)
		rng := rand.New(rand.NewPCG(1, 2))
		_ = aw.WriteMeta(&Meta{PID: 1})
		_ = aw.BeginRegion(RegionDesc{Index: 0, Start: 1 << 30, End: 1<<30 + 256<<20, Perms: "rw-p"})
		for i := range 256 {
			for k := 0; k < len(page); k += 8 {
				binary.LittleEndian.PutUint64(page[k:], rng.Uint64()) // incompressible
			}
			_ = aw.WriteData(1<<30+uint64(i)<<20, page)
			_ = aw.Flush()
		}
		_ = aw.EndRegion(MethodVMReadv, "")
		pw.CloseWithError(aw.Close(End{Complete: true}))
	}()
	// The live heap (as of each collection, frequent here) is what the
	// verification holds; garbage waiting for a collection is not.
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			metrics.Read(live)
			peak = max(peak, live[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	s, err := VerifyStream(context.Background(), pr)
	close(stop)
	<-sampled
	if err != nil || !s.OK {
		t.Fatalf("%v %+v", err, s)
	}
	if peak > 64<<20 {
		t.Errorf("the live heap reached %d MiB verifying a %d MiB stream", peak>>20, s.Size>>20)
	}
	t.Logf("a %d MiB stream verified with a live heap of at most %d MiB", s.Size>>20, peak>>20)
}

// TestVerifyStreamForgedLength: a record that claims far more bytes than
// the stream holds costs only what the stream holds.
func TestVerifyStreamForgedLength(t *testing.T) {
	maps := binary.LittleEndian.AppendUint64(append([]byte(recordMagic), byte(recMaps), 0, 0, 0), 64<<20)
	b := craft(append(maps, make([]byte, 1000)...))
	var s *StreamResult
	alloc := allocDuring(func() { s, _ = VerifyStream(context.Background(), bytes.NewReader(b)) })
	if s == nil || s.OK || alloc > 4<<20 {
		t.Errorf("a 64 MiB maps record claimed in %d bytes: %+v, %d bytes allocated", len(b), s, alloc)
	}
}
