package format

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

const tps = 4096

// page kinds for generated content.
const (
	kData = iota
	kZero
	kText
	kUnreadable
)

// layoutRegion is a generated region: per page its kind.
type layoutRegion struct {
	desc  RegionDesc
	kinds []int
	data  []byte // expected bytes (unreadable pages zero)
	errno uint32
	skip  bool
}

// genLayout builds regions of the given page counts with random content.
func genLayout(rng *rand.Rand, sizes []int, base uint64) []*layoutRegion {
	var out []*layoutRegion
	addr := base
	for i, n := range sizes {
		g := &layoutRegion{kinds: make([]int, n), data: make([]byte, n*tps), errno: 5}
		g.desc = RegionDesc{Index: i, Start: addr, End: addr + uint64(n*tps), Perms: "rw-p",
			Path: fmt.Sprintf("/tmp/file  with spaces %d (deleted)", i), Inode: uint64(i), DevMajor: 8, DevMinor: 1}
		g.desc.MapsLine = fmt.Sprintf("%x-%x rw-p 00000000 08:01 %d %s", g.desc.Start, g.desc.End, i, g.desc.Path)
		for p := range n {
			k := rng.IntN(4)
			g.kinds[p] = k
			page := g.data[p*tps : (p+1)*tps]
			switch k {
			case kData:
				for j := range page {
					page[j] = byte(rng.Uint32())
				}
			case kText:
				copy(page, bytes.Repeat([]byte(fmt.Sprintf("page %d of region %d. ", p, i)), tps))
			}
		}
		out = append(out, g)
		addr = g.desc.End + uint64(1+rng.IntN(3))*tps
	}
	return out
}

// writeLayout writes regions with the given chunk size; data runs are
// written in pieces of random page counts.
func writeLayout(t testing.TB, w io.Writer, rng *rand.Rand, regs []*layoutRegion, chunk int) *Writer {
	t.Helper()
	aw, err := NewWriter(w, WriterOptions{ChunkSize: chunk, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(aw.WriteMeta(&Meta{PID: 42, Comm: "test", Cmdline: []string{"a", "b c"}, Note: "n", Extra: map[string]string{"k": "v"},
		CaptureStart: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}))
	must(aw.WriteMaps([]byte("maps text\n")))
	must(aw.WriteAuxv([]byte{1, 2, 3}))
	must(aw.WriteThread(Thread{TID: 42, RegSets: []RegSet{{Type: 1, Data: []byte("regs")}, {Type: 2, Data: nil}}}))
	for _, g := range regs {
		d := g.desc
		if g.skip {
			d.Skip = "no read permission"
		}
		must(aw.BeginRegion(d))
		if !g.skip {
			writeRegionPages(t, aw, rng, g)
		}
		must(aw.EndRegion(MethodVMReadv, ""))
	}
	must(aw.Close(End{Complete: true, FrozenNS: 7}))
	return aw
}

func writeRegionPages(t testing.TB, aw *Writer, rng *rand.Rand, g *layoutRegion) {
	p := 0
	for p < len(g.kinds) {
		addr := g.desc.Start + uint64(p*tps)
		if g.kinds[p] == kUnreadable {
			if err := aw.WriteFill(addr, addr+tps, PageUnreadable, g.errno); err != nil {
				t.Fatal(err)
			}
			p++
			continue
		}
		q := p + 1
		for q < len(g.kinds) && q-p < 1+rng.IntN(200) && g.kinds[q] != kUnreadable {
			q++
		}
		if rng.IntN(4) == 0 && allZero(g.kinds[p:q]) {
			if err := aw.WriteFill(addr, addr+uint64((q-p)*tps), PageZero, 0); err != nil {
				t.Fatal(err)
			}
		} else if err := aw.WriteData(addr, g.data[p*tps:q*tps]); err != nil {
			t.Fatal(err)
		}
		p = q
	}
}

func allZero(kinds []int) bool {
	for _, k := range kinds {
		if k != kZero {
			return false
		}
	}
	return true
}

// readAll reads a whole region through ReadRange, zeros for holes.
func readAll(t testing.TB, r *Reader, g *Region) ([]byte, []Run) {
	t.Helper()
	out := make([]byte, g.Desc.Size())
	var holes []Run
	err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(run Run) error {
		if run.Data != nil {
			copy(out[run.Start-g.Desc.Start:], run.Data)
		} else if run.State != PageZero {
			holes = append(holes, run)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("region %d: %v", g.Desc.Index, err)
	}
	return out, holes
}

func checkLayout(t *testing.T, r *Reader, regs []*layoutRegion) {
	t.Helper()
	if len(r.Regions()) != len(regs) {
		t.Fatalf("regions: got %d, want %d", len(r.Regions()), len(regs))
	}
	for i, want := range regs {
		g := r.Regions()[i]
		wd := want.desc
		if want.skip {
			wd.Skip = "no read permission"
		}
		if !reflect.DeepEqual(g.Desc, wd) {
			t.Fatalf("region %d desc: got %+v, want %+v", i, g.Desc, wd)
		}
		if want.skip {
			if g.State() != RegionSkipped {
				t.Errorf("region %d: state %v, want skipped", i, g.State())
			}
			continue
		}
		got, holes := readAll(t, r, g)
		if !bytes.Equal(got, want.data) {
			t.Fatalf("region %d: data differs", i)
		}
		nUnread := 0
		for _, k := range want.kinds {
			if k == kUnreadable {
				nUnread++
			}
		}
		holeBytes := 0
		for _, h := range holes {
			if h.State != PageUnreadable || h.Errno != want.errno {
				t.Errorf("region %d: hole %+v", i, h)
			}
			holeBytes += int(h.End - h.Start)
		}
		if holeBytes != nUnread*tps || g.Footer.UnreadableBytes != uint64(nUnread*tps) {
			t.Errorf("region %d: unreadable %d bytes, footer %d, want %d", i, holeBytes, g.Footer.UnreadableBytes, nUnread*tps)
		}
		if g.State() != RegionComplete {
			t.Errorf("region %d: state %v", i, g.State())
		}
	}
}

func TestRoundTripLayouts(t *testing.T) {
	cases := []struct {
		name  string
		sizes []int
		chunk int
	}{
		{"empty-region", []int{0}, 0},
		{"one-page", []int{1}, 0},
		{"multi-chunk", []int{300, 17, 64}, 64 << 10},
		{"unaligned-start", []int{5, 129, 3}, 16 << 10},
		{"page-chunks", []int{40}, 4096},
		{"big-chunks", []int{700}, 1 << 20},
		{"all-zero", []int{200, 1}, 64 << 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(len(c.name))))
			regs := genLayout(rng, c.sizes, 0x7f0000001000)
			if c.name == "all-zero" {
				for _, g := range regs {
					clear(g.data)
					for i := range g.kinds {
						g.kinds[i] = kZero
					}
				}
			}
			var buf bytes.Buffer
			aw := writeLayout(t, &buf, rng, regs, c.chunk)
			if aw.Size() != int64(buf.Len()) {
				t.Errorf("Size %d, wrote %d", aw.Size(), buf.Len())
			}
			r, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			if r.Recovered() != "" {
				t.Fatalf("recovered: %s", r.Recovered())
			}
			checkLayout(t, r, regs)
			checkMeta(t, r)
			if c.name == "all-zero" {
				for _, g := range r.Regions() {
					if g.Footer.ZeroBytes != g.Desc.Size() || g.Footer.DataBytes != 0 {
						t.Errorf("all-zero region %d: footer %+v", g.Desc.Index, *g.Footer)
					}
				}
				if buf.Len() > 64<<10 {
					t.Errorf("all-zero archive is %d bytes: zero pages must not be stored", buf.Len())
				}
			}
			if v := r.Verify(context.Background()); !v.OK {
				t.Fatalf("verify: %+v", v)
			}
		})
	}
}

func checkMeta(t *testing.T, r *Reader) {
	t.Helper()
	m := r.Meta()
	if m == nil || m.PID != 42 || m.Cmdline[1] != "b c" || m.Extra["k"] != "v" || !m.CaptureStart.Equal(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)) {
		t.Errorf("meta: %+v", m)
	}
	if string(r.Maps()) != "maps text\n" || !bytes.Equal(r.Auxv(), []byte{1, 2, 3}) {
		t.Errorf("maps %q auxv %v", r.Maps(), r.Auxv())
	}
	th := r.Threads()
	if len(th) != 1 || th[0].TID != 42 || string(th[0].RegSets[0].Data) != "regs" || th[0].RegSets[1].Type != 2 {
		t.Errorf("threads: %+v", th)
	}
	if e := r.End(); e == nil || !e.Complete || e.FrozenNS != 7 || e.Threads != 1 {
		t.Errorf("end: %+v", e)
	}
	if !r.Complete() {
		t.Errorf("not complete")
	}
}

func sha(b []byte) [32]byte { return sha256.Sum256(b) }

// TestMetaXSaveLayout: the optional xsave_layout key round-trips, and a
// metadata record without it (as procsnap wrote before it existed, and as
// the golden archive holds) reads as an empty layout.
func TestMetaXSaveLayout(t *testing.T) {
	layout := []XSaveComponent{{2, 576, 256}, {5, 832, 64}, {6, 896, 512}, {7, 1408, 1024}}
	for _, tc := range []struct {
		name   string
		layout []XSaveComponent
	}{{"recorded", layout}, {"absent", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			aw, err := NewWriter(&buf, WriterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := aw.WriteMeta(&Meta{PID: 1, XSaveLayout: tc.layout}); err != nil {
				t.Fatal(err)
			}
			if err := aw.Close(End{Complete: true}); err != nil {
				t.Fatal(err)
			}
			hasKey := bytes.Contains(buf.Bytes(), []byte(`"xsave_layout"`))
			if hasKey != (tc.layout != nil) {
				t.Errorf("xsave_layout key written: %v, want %v", hasKey, tc.layout != nil)
			}
			r, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Meta().XSaveLayout; !reflect.DeepEqual(got, tc.layout) {
				t.Errorf("layout read back %v, want %v", got, tc.layout)
			}
		})
	}
}
