package format

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
)

// v2Page is the content of one test page: a byte repeated, or zero.
func v2Page(b byte) []byte { return bytes.Repeat([]byte{b}, tps) }

// v2Final is the process under the freeze in TestPrecopyRoundTrip:
// region 0 (16 pages) changed in page 4 and became zero in page 9,
// region 1 grew by a page, region 2 is new, and the pre-copy's region at
// 0x50000 was unmapped.
var v2Final = []struct {
	desc  RegionDesc
	pages []byte // per page: content byte, 0 zero, 0xee unreadable (errno 14)
}{
	{RegionDesc{Index: 0, Start: 0x10000, End: 0x20000, Perms: "rw-p"}, []byte{1, 2, 3, 0, 99, 5, 6, 7, 8, 0, 10, 11, 12, 13, 0xee, 0xee}},
	{RegionDesc{Index: 1, Start: 0x30000, End: 0x32000, Perms: "rw-p"}, []byte{21, 22}},
	{RegionDesc{Index: 2, Start: 0x40000, End: 0x41000, Perms: "r--p"}, []byte{31}},
}

// writeV2 writes the pre-copy of TestPrecopyRoundTrip, the freeze, and the
// final section with as-pre-copied fills where pages did not change.
func writeV2(t testing.TB, w *bytes.Buffer) {
	aw, err := NewWriter(w, WriterOptions{PageSize: tps, ChunkSize: 4 * tps, Workers: 2})
	must(t, err)
	must(t, aw.WriteMeta(&Meta{PID: 1}))
	must(t, aw.BeginPrecopy())
	pre := []struct {
		d     RegionDesc
		pages []byte
	}{
		{RegionDesc{Index: 0, Start: 0x10000, End: 0x20000, Perms: "rw-p"}, []byte{1, 2, 3, 0, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0xee, 0xee}},
		{RegionDesc{Index: 1, Start: 0x30000, End: 0x31000, Perms: "rw-p"}, []byte{21}},
		{RegionDesc{Index: 2, Start: 0x50000, End: 0x52000, Perms: "rw-p"}, []byte{41, 42}},
	}
	for _, p := range pre {
		must(t, aw.BeginRegion(p.d))
		writePages(t, aw, p.d.Start, p.pages, nil)
		must(t, aw.EndRegion(MethodVMReadv, ""))
	}
	must(t, aw.WriteFreeze(Freeze{Mode: "precopy"}))
	must(t, aw.WriteMaps([]byte("maps\n")))
	same := map[uint64]bool{} // final pages unchanged since the pre-copy
	for i, b := range pre[0].pages {
		same[0x10000+uint64(i)*tps] = b == v2Final[0].pages[i]
	}
	same[0x30000] = true
	for _, f := range v2Final {
		must(t, aw.BeginRegion(f.desc))
		writePages(t, aw, f.desc.Start, f.pages, same)
		must(t, aw.EndRegion(MethodVMReadv, ""))
	}
	must(t, aw.Close(End{Complete: true}))
}

// writePages writes one byte per page as data, zero or unreadable, and
// pages in same as as-pre-copied fills.
func writePages(t testing.TB, aw *Writer, start uint64, pages []byte, same map[uint64]bool) {
	for i, b := range pages {
		a := start + uint64(i)*tps
		switch {
		case same[a]:
			must(t, aw.WriteFill(a, a+tps, PageInherit, 0))
		case b == 0xee:
			must(t, aw.WriteFill(a, a+tps, PageUnreadable, 14))
		case b == 0:
			must(t, aw.WriteFill(a, a+tps, PageZero, 0))
		default:
			must(t, aw.WriteData(a, v2Page(b)))
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// writeWhole writes the final state of TestPrecopyRoundTrip without a
// pre-copy: region hashes and counters must come out the same.
func writeWhole(t testing.TB, w *bytes.Buffer) {
	aw, err := NewWriter(w, WriterOptions{PageSize: tps, ChunkSize: 4 * tps})
	must(t, err)
	must(t, aw.WriteFreeze(Freeze{Mode: "whole"}))
	for _, f := range v2Final {
		must(t, aw.BeginRegion(f.desc))
		writePages(t, aw, f.desc.Start, f.pages, nil)
		must(t, aw.EndRegion(MethodVMReadv, ""))
	}
	must(t, aw.Close(End{Complete: true}))
}

// TestPrecopyRoundTrip: a version 2 archive whose final section inherits
// most pages from the pre-copy reads back as the final state, verifies,
// and has the same region hashes and counters as the same state written
// without a pre-copy.
func TestPrecopyRoundTrip(t *testing.T) {
	var pre, whole bytes.Buffer
	writeV2(t, &pre)
	writeWhole(t, &whole)
	r, w := open(t, pre.Bytes()), open(t, whole.Bytes())
	if res := r.Verify(context.Background()); !res.OK {
		t.Fatalf("verify: %+v", res)
	}
	if r.Inconsistent() != "" || r.Freeze() == nil || r.Freeze().Mode != "precopy" || len(r.PrecopyRegions()) != 3 {
		t.Fatalf("inconsistent %q, freeze %+v, %d pre-copy regions", r.Inconsistent(), r.Freeze(), len(r.PrecopyRegions()))
	}
	if len(r.Regions()) != len(v2Final) {
		t.Fatalf("%d regions", len(r.Regions()))
	}
	for i, f := range v2Final {
		g, h := r.Regions()[i], w.Regions()[i]
		if !reflect.DeepEqual(*g.Footer, *h.Footer) {
			t.Errorf("region %d: footer %+v, without a pre-copy %+v", i, *g.Footer, *h.Footer)
		}
		var got []byte
		must(t, r.ReadRange(g, g.Desc.Start, g.Desc.End, func(run Run) error {
			for a := run.Start; a < run.End; a += tps {
				switch {
				case run.State == PageUnreadable:
					got = append(got, 0xee)
				case run.State == PageZero:
					got = append(got, 0)
				case run.State == PageData:
					got = append(got, run.Data[a-run.Start])
				default:
					t.Errorf("region %d: %v at %#x", i, run.State, a)
				}
			}
			return nil
		}))
		if !bytes.Equal(got, f.pages) {
			t.Errorf("region %d reads %v, want %v", i, got, f.pages)
		}
	}
}

// TestPrecopyTruncated cuts a version 2 archive at every record: opening
// never fails or panics, an archive cut before the freeze says it is not
// one instant, and one cut after it is incomplete.
func TestPrecopyTruncated(t *testing.T) {
	var b bytes.Buffer
	writeV2(t, &b)
	offs, types := records(t, b.Bytes())
	freezeAt := int64(-1)
	for i, typ := range types {
		if typ == recFreeze {
			freezeAt = offs[i]
		}
	}
	for _, cut := range offs[2:] { // from the first record after the header
		r, err := NewReader(bytes.NewReader(b.Bytes()[:cut]), cut)
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if r.Complete() {
			t.Errorf("cut at %d: complete", cut)
		}
		if cut <= freezeAt && r.Inconsistent() == "" && len(r.PrecopyRegions()) > 0 {
			t.Errorf("cut at %d, before the freeze: not said to be inconsistent", cut)
		}
		if cut > freezeAt && r.Inconsistent() != "" {
			t.Errorf("cut at %d, after the freeze: %q", cut, r.Inconsistent())
		}
		r.Verify(context.Background())
	}
}

// TestPrecopyCorruption: damage in a pre-copy chunk is found whether a
// final region inherits its pages or every page of it changed.
func TestPrecopyCorruption(t *testing.T) {
	var b bytes.Buffer
	writeV2(t, &b)
	r := open(t, b.Bytes())
	var inherited, superseded int64 = -1, -1
	for _, g := range r.PrecopyRegions() {
		for _, s := range g.Spans() {
			if s.IsChunk() && g.Desc.Start == 0x10000 && inherited < 0 {
				inherited = s.Offset()
			}
			if s.IsChunk() && g.Desc.Start == 0x50000 {
				superseded = s.Offset()
			}
		}
	}
	for name, off := range map[string]int64{"inherited": inherited, "superseded": superseded} {
		c := bytes.Clone(b.Bytes())
		c[off+recHeaderLen+40] ^= 0xff // inside the chunk header's hashes
		res := open(t, c).Verify(context.Background())
		found := false
		for _, p := range res.Problems {
			found = found || (name == "inherited" && p.Region == 0) || (name == "superseded" && strings.Contains(p.Problem, "pre-copy region 2"))
		}
		if res.OK || !found {
			t.Errorf("%s pre-copy chunk damaged: %+v", name, res.Problems)
		}
	}
}

// TestInheritOutsidePrecopy: the writer refuses an as-pre-copied fill the
// pre-copy does not cover, and one before the freeze.
func TestInheritOutsidePrecopy(t *testing.T) {
	var b bytes.Buffer
	aw, err := NewWriter(&b, WriterOptions{PageSize: tps})
	must(t, err)
	must(t, aw.BeginPrecopy())
	must(t, aw.BeginRegion(RegionDesc{Index: 0, Start: 0x10000, End: 0x12000}))
	if err := aw.WriteFill(0x10000, 0x11000, PageInherit, 0); err == nil {
		t.Error("an as-pre-copied fill in the pre-copy was taken")
	}
	must(t, aw.WriteData(0x10000, v2Page(1)))
	must(t, aw.EndRegion(MethodVMReadv, ""))
	must(t, aw.WriteFreeze(Freeze{}))
	must(t, aw.BeginRegion(RegionDesc{Index: 0, Start: 0x10000, End: 0x13000}))
	must(t, aw.WriteFill(0x10000, 0x12000, PageInherit, 0))
	if err := aw.WriteFill(0x12000, 0x13000, PageInherit, 0); err == nil {
		t.Error("an as-pre-copied fill of pages the pre-copy did not capture was taken")
	}
}

// TestWriterRegionOrder: within a section the writer refuses a region
// that overlaps or precedes the one before it (the reader would call the
// archive corrupt), while the final section starts over at any address;
// with Unordered it writes one, and the reader reports it.
func TestWriterRegionOrder(t *testing.T) {
	for _, precopy := range []bool{true, false} {
		var b bytes.Buffer
		aw, err := NewWriter(&b, WriterOptions{PageSize: tps})
		must(t, err)
		if precopy {
			must(t, aw.BeginPrecopy())
		}
		for i, d := range []RegionDesc{{Start: 0x10000, End: 0x12000}, {Start: 0x12000, End: 0x13000, Skip: "test"}} {
			d.Index = i
			must(t, aw.BeginRegion(d))
			must(t, aw.EndRegion(MethodVMReadv, ""))
		}
		// A mapping shown twice by a torn maps listing: same start, grown.
		err = aw.BeginRegion(RegionDesc{Index: 2, Start: 0x12000, End: 0x14000})
		if err == nil || !strings.Contains(err.Error(), "overlaps or precedes the region before it, which ends at 0x13000") {
			t.Errorf("precopy %v: an overlapping region: err %v", precopy, err)
		}
		must(t, aw.BeginRegion(RegionDesc{Index: 2, Start: 0x13000, End: 0x14000}))
		must(t, aw.EndRegion(MethodVMReadv, ""))
		if precopy {
			must(t, aw.WriteFreeze(Freeze{}))
			must(t, aw.BeginRegion(RegionDesc{Index: 0, Start: 0x10000, End: 0x14000}))
			must(t, aw.EndRegion(MethodVMReadv, ""))
		}
		aw.opts.Unordered = true // what tests of hostile archives ask for
		_, next := aw.Regions()
		must(t, aw.BeginRegion(RegionDesc{Index: next, Start: 0x10000, End: 0x11000, Skip: "forged"}))
		must(t, aw.EndRegion(MethodVMReadv, ""))
		must(t, aw.Close(End{Complete: true}))
		if r := open(t, b.Bytes()); len(r.Problems()) != 1 || !strings.Contains(r.Problems()[0].Error(), "region 0x10000-0x11000 overlaps or precedes the region before it") {
			t.Errorf("precopy %v: problems %v, want only the forged region's", precopy, r.Problems())
		}
	}
}

// TestOverlappingInheritBounded: a hostile archive whose many final regions
// all cover the same pre-copied pages with as-pre-copied fills opens with
// bounded work and says so.
func TestOverlappingInheritBounded(t *testing.T) {
	var b bytes.Buffer
	aw, err := NewWriter(&b, WriterOptions{PageSize: tps, ChunkSize: tps, Unordered: true})
	must(t, err)
	must(t, aw.BeginPrecopy())
	must(t, aw.BeginRegion(RegionDesc{Index: 0, Start: 0, End: 512 * tps}))
	for i := range 512 { // 512 one-page chunks
		must(t, aw.WriteData(uint64(i)*tps, v2Page(byte(i+1))))
	}
	must(t, aw.EndRegion(MethodVMReadv, ""))
	must(t, aw.WriteFreeze(Freeze{}))
	for i := range 2000 { // every final region is the same 512 pages
		must(t, aw.BeginRegion(RegionDesc{Index: i, Start: 0, End: 512 * tps}))
		must(t, aw.WriteFill(0, 512*tps, PageInherit, 0))
		must(t, aw.EndRegion(MethodVMReadv, ""))
	}
	must(t, aw.Close(End{Complete: true}))
	r := open(t, b.Bytes())
	spans := 0
	for _, g := range r.Regions() {
		spans += len(g.Spans())
	}
	if spans > 512+1024+2000+2*2000 { // resolved, plus a gap and a fill per region

		t.Errorf("%d spans from 2000 overlapping regions: unbounded", spans)
	}
	if r.Complete() || len(r.Problems()) == 0 {
		t.Errorf("complete %v, problems %v: the overlap is not reported", r.Complete(), r.Problems())
	}
}

// TestScatteredChanges: every other page of a one-chunk pre-copy changed,
// so 2048 as-pre-copied fills show parts of the same chunk: the archive
// reads back and verifies (a bound on resolving must not take it for an
// attack).
func TestScatteredChanges(t *testing.T) {
	const n = 4096
	var b bytes.Buffer
	aw, err := NewWriter(&b, WriterOptions{PageSize: tps, ChunkSize: n * tps})
	must(t, err)
	must(t, aw.BeginPrecopy())
	d := RegionDesc{Index: 0, Start: 0x100000, End: 0x100000 + n*tps, Perms: "rw-p"}
	must(t, aw.BeginRegion(d))
	pre := make([]byte, 0, n*tps)
	for i := range n {
		pre = append(pre, v2Page(byte(i))...)
	}
	must(t, aw.WriteData(d.Start, pre))
	must(t, aw.EndRegion(MethodVMReadv, ""))
	must(t, aw.WriteFreeze(Freeze{}))
	must(t, aw.BeginRegion(d))
	for i := range n {
		a := d.Start + uint64(i)*tps
		if i%2 == 0 {
			must(t, aw.WriteFill(a, a+tps, PageInherit, 0))
		} else {
			must(t, aw.WriteData(a, v2Page(0xff)))
		}
	}
	must(t, aw.EndRegion(MethodVMReadv, ""))
	must(t, aw.Close(End{Complete: true}))
	r := open(t, b.Bytes())
	if res := r.Verify(context.Background()); !res.OK {
		t.Fatalf("verify: %+v", res.Problems)
	}
	g := r.Regions()[0]
	must(t, r.ReadRange(g, d.Start, d.End, func(run Run) error {
		for a := run.Start; a < run.End; a += tps {
			i := (a - d.Start) / tps
			want := byte(i)
			if i%2 == 1 {
				want = 0xff
			}
			if got := run.Data[a-run.Start]; run.State == PageData && got != want {
				t.Fatalf("page %d reads %d, want %d", i, got, want)
			}
		}
		return nil
	}))
}

// TestPrecopyStream: VerifyStream checks a pre-copied archive as Verify
// does: whole, it is OK; cut before the freeze, it says it is not one
// instant; with an inherited pre-copy chunk damaged, it fails.
func TestPrecopyStream(t *testing.T) {
	var b bytes.Buffer
	writeV2(t, &b)
	ctx := context.Background()
	res, err := VerifyStream(ctx, bytes.NewReader(b.Bytes()))
	if err != nil || !res.OK {
		t.Fatalf("whole: %v, %+v", err, res)
	}
	offs, types := records(t, b.Bytes())
	for i, typ := range types {
		if typ != recFreeze {
			continue
		}
		cut := b.Bytes()[:offs[i]]
		res, err := VerifyStream(ctx, bytes.NewReader(cut))
		if err != nil || res.OK || res.Inconsistent == "" {
			t.Errorf("cut before the freeze: %v, inconsistent %q, OK %v", err, res.Inconsistent, res.OK)
		}
	}
	r := open(t, b.Bytes())
	off := r.PrecopyRegions()[0].Spans()[0].Offset()
	c := bytes.Clone(b.Bytes())
	c[off+recHeaderLen+40] ^= 0xff
	res, err = VerifyStream(ctx, bytes.NewReader(c))
	if err != nil || res.OK {
		t.Errorf("damaged pre-copy chunk: %v, OK %v", err, res.OK)
	}
	if file := open(t, c).Verify(ctx); file.OK != res.OK {
		t.Errorf("stream says OK %v, file says %v", res.OK, file.OK)
	}
}
