package format

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cespare/xxhash/v2"
)

// sampleArchive returns a finished archive and its layout.
func sampleArchive(t testing.TB) ([]byte, []*layoutRegion) {
	rng := rand.New(rand.NewPCG(11, 12))
	regs := genLayout(rng, []int{3, 90, 1, 0, 40, 130, 7, 2, 66, 5}, 0x55550000000)
	regs[6].skip = true
	var buf bytes.Buffer
	writeLayout(t, &buf, rng, regs, 64<<10)
	return buf.Bytes(), regs
}

// records lists the offset and type of every record of a valid archive.
func records(t testing.TB, b []byte) (offs []int64, types []recType) {
	off := int64(len(Signature))
	for off < int64(len(b)) {
		h, err := parseHead(b[off:], int64(len(b))-off)
		if err != nil {
			t.Fatalf("record at %d: %v", off, err)
		}
		offs, types = append(offs, off), append(types, h.typ)
		off += h.total()
	}
	return offs, types
}

func open(t testing.TB, b []byte) *Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return r
}

func TestTruncation(t *testing.T) {
	full, regs := sampleArchive(t)
	offs, _ := records(t, full)
	cuts := map[int64]bool{}
	for _, o := range offs { // every record boundary and just around it
		for _, d := range []int64{-1, 0, 1, 9, 17, 30} {
			if c := o + d; c > 0 && c < int64(len(full)) {
				cuts[c] = true
			}
		}
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for len(cuts) < 400 {
		cuts[1+rng.Int64N(int64(len(full))-1)] = true
	}
	whole := open(t, full)
	for cut := range cuts {
		b := full[:cut]
		r, err := NewReader(bytes.NewReader(b), cut)
		if err != nil {
			if cut >= whole.headerEnd {
				t.Fatalf("cut at %d: %v", cut, err)
			}
			continue
		}
		if r.Complete() || r.Recovered() == "" {
			t.Fatalf("cut at %d: complete=%v recovered=%q", cut, r.Complete(), r.Recovered())
		}
		for _, wg := range whole.Regions() {
			g := r.Region(wg.Desc.Index)
			footed := wg.footEnd <= cut
			if footed {
				if g == nil || g.State() != wg.State() {
					t.Fatalf("cut at %d: region %d footed before the cut not recovered (%v)", cut, wg.Desc.Index, g)
				}
				if g.State() == RegionComplete {
					got, _ := readAll(t, r, g)
					if !bytes.Equal(got, regs[g.Desc.Index].data) {
						t.Fatalf("cut at %d: region %d data differs", cut, g.Desc.Index)
					}
				}
			} else if g != nil && g.State() != RegionTruncated {
				t.Fatalf("cut at %d: region %d footer lies past the cut but state is %v", cut, g.Desc.Index, g.State())
			}
		}
		if v := r.Verify(context.Background()); v.OK || v.Complete {
			t.Fatalf("cut at %d: verify says ok", cut)
		}
	}
}

// resum recomputes the checksum of the record at off after a deliberate
// change, so that deeper checks are reached.
func resum(b []byte, off int64) {
	n := int64(binary.LittleEndian.Uint64(b[off+8:]))
	end := off + recHeaderLen + n
	binary.LittleEndian.PutUint64(b[end:], xxhash.Sum64(b[off:end]))
}

func TestCorruptionFoundByVerify(t *testing.T) {
	full, _ := sampleArchive(t)
	offs, types := records(t, full)
	find := func(want recType, nth int) int64 {
		for i, ty := range types {
			if ty == want {
				if nth == 0 {
					return offs[i]
				}
				nth--
			}
		}
		t.Fatalf("no %s #%d", want, nth)
		return 0
	}
	chunk := find(recChunk, 3)
	region := int(binary.LittleEndian.Uint32(full[chunk+recHeaderLen:]))
	cases := []struct {
		name   string
		at     int64
		resum  bool
		region int
	}{
		{"chunk-payload", chunk + int64(binary.LittleEndian.Uint64(full[chunk+8:])), false, region},
		{"chunk-payload-resummed", chunk + int64(binary.LittleEndian.Uint64(full[chunk+8:])), true, region},
		{"chunk-header", chunk + recHeaderLen + 9, false, region},
		{"chunk-page-hash-resummed", chunk + recHeaderLen + 21 + 4, true, region},
		{"descriptor", find(recRegion, 4) + recHeaderLen + 10, false, 4},
		{"footer-resummed", find(recFooter, 5) + recHeaderLen + 40, true, 5},
		{"index", find(recIndex, 0) + recHeaderLen + 30, false, -1},
		{"trailer", find(recTrailer, 0) + recHeaderLen + 20, false, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := bytes.Clone(full)
			b[c.at] ^= 0x5a
			if c.resum {
				offs, _ := records(t, b)
				for i := len(offs) - 1; i >= 0; i-- {
					if offs[i] <= c.at {
						resum(b, offs[i])
						break
					}
				}
			}
			r := open(t, b)
			v := r.Verify(context.Background())
			if v.OK || len(v.Problems) == 0 {
				t.Fatalf("verify found nothing: %+v", v)
			}
			if c.region >= 0 && !namesRegion(v.Problems, c.region) {
				t.Fatalf("no problem names region %d: %+v", c.region, v.Problems)
			}
		})
	}
}

func namesRegion(ps []Problem, region int) bool {
	for _, p := range ps {
		if p.Region == region {
			return true
		}
	}
	return false
}

func TestIntactRegionReadableDespiteCorruption(t *testing.T) {
	full, regs := sampleArchive(t)
	offs, types := records(t, full)
	for i, ty := range types {
		if ty == recChunk && binary.LittleEndian.Uint32(full[offs[i]+recHeaderLen:]) == 1 {
			full[offs[i]+40] ^= 1 // damage region 1
			break
		}
	}
	r := open(t, full)
	got, _ := readAll(t, r, r.Region(5))
	if !bytes.Equal(got, regs[5].data) {
		t.Fatalf("intact region 5 differs")
	}
	if err := r.ReadRange(r.Region(1), r.Region(1).Desc.Start, r.Region(1).Desc.End, func(Run) error { return nil }); err == nil {
		t.Fatalf("reading the damaged region gave no error")
	} else if !strings.Contains(err.Error(), "region 1") {
		t.Fatalf("error does not name region 1: %v", err)
	}
}
