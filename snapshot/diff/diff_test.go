package diff

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

const heap = 0x5555_0000_0000

// heapPages is a 64-page region: data, a zero fill at pages 40-47, an
// unreadable page at 50 (EIO) and not-captured pages 60-63.
func heapPages() []tpage {
	p := dataPages(64, 1000)
	for i := 40; i < 48; i++ {
		p[i] = tpage{kind: kZeroFill}
	}
	p[50] = tpage{kUnreadable, 5}
	for i := 60; i < 64; i++ {
		p[i] = tpage{kind: kNotCapt}
	}
	return p
}

func pageRange(base uint64, from, to int) format.Range {
	return format.Range{Start: base + uint64(from)*ps, End: base + uint64(to)*ps}
}

// TestCompareKnownPages changes K known pages of a region (inside a chunk,
// adjacent, across a chunk boundary, in a zero fill, unreadable to data)
// and expects exactly those ranges, plus added, removed, perms-changed and
// grown regions.
func TestCompareKnownPages(t *testing.T) {
	oldHeap, newHeap := heapPages(), heapPages()
	for _, i := range []int{5, 20, 21, 31, 32} { // chunks are 16 pages: 31|32 straddle a boundary
		newHeap[i].seed += 5000
	}
	newHeap[44] = tpage{kData, 1}        // was in the zero fill
	newHeap[50] = tpage{kData, 2}        // was unreadable
	newHeap[10] = tpage{kind: kZeroData} // data page 10 became zero
	old := []tregion{
		{start: 0x400000, perms: "r-xp", path: "/bin/t", pages: dataPages(4, 1)},
		{start: 0x500000, perms: "rw-p", path: "/bin/t", pages: dataPages(2, 10)},
		{start: heap, perms: "rw-p", path: "[heap]", pages: oldHeap},
		{start: 0x7f0000000000, perms: "r--p", path: "/lib/gone.so", pages: dataPages(3, 20)},
		{start: 0x7ffd00000000, perms: "rw-p", path: "[stack]", pages: dataPages(4, 30)},
	}
	newer := []tregion{
		old[0],
		{start: 0x500000, perms: "r--p", path: "/bin/t", pages: dataPages(2, 10)},
		{start: heap, perms: "rw-p", path: "[heap]", pages: newHeap},
		{start: 0x7f1000000000, perms: "rw-p", path: "/lib/new.so", pages: dataPages(1, 40)},
		{start: 0x7ffd00000000, perms: "rw-p", path: "[stack]", pages: append(dataPages(4, 30), tpage{kind: kZeroFill}, tpage{kData, 9})},
	}
	res, err := Compare(context.Background(), formattest.Open(t, build(t, old, 64<<10)), formattest.Open(t, build(t, newer, 64<<10)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		status  Status
		start   uint64
		changes Change
		ranges  []format.Range
	}
	wants := []want{
		{Unchanged, 0x400000, 0, nil},
		{Changed, 0x500000, ChangePerms, nil},
		{Changed, heap, ChangeContent | ChangeStates, []format.Range{
			pageRange(heap, 5, 6), pageRange(heap, 10, 11), pageRange(heap, 20, 22), pageRange(heap, 31, 33),
			pageRange(heap, 44, 45), pageRange(heap, 50, 51)}},
		{Removed, 0x7f0000000000, 0, nil},
		{Added, 0x7f1000000000, 0, nil},
		{Changed, 0x7ffd00000000, ChangeSize, []format.Range{pageRange(0x7ffd00000000, 4, 6)}},
	}
	if len(res.Regions) != len(wants) {
		t.Fatalf("got %d regions, want %d: %+v", len(res.Regions), len(wants), res.Regions)
	}
	for i, w := range wants {
		g := res.Regions[i]
		if g.Status != w.status || g.Desc().Start != w.start || g.Changes != w.changes || !reflect.DeepEqual(g.Ranges, w.ranges) {
			t.Errorf("region %d: got %v %#x [%v] %v, want %v %#x [%v] %v", i, g.Status, g.Desc().Start, g.Changes, g.Ranges,
				w.status, w.start, w.changes, w.ranges)
		}
	}
	if res.Unchanged != 1 || res.Changed != 3 || res.Added != 1 || res.Removed != 1 || res.ChangedPages != 8+2 {
		t.Errorf("summary: %+v", res)
	}
}

// TestCompareStrictWindows: --strict finds what the hashes find, whatever
// the window of chunks decoded at once (here 1 to 5 pages, chunks of 1, 2
// and 4 pages on either side).
func TestCompareStrictWindows(t *testing.T) {
	defer func(w uint64) { strictWindow = w }(strictWindow)
	oldHeap, newHeap := heapPages(), heapPages()
	for _, i := range []int{0, 5, 6, 7, 31, 32, 63} {
		newHeap[i].seed += 77
	}
	newHeap[44] = tpage{kData, 3}
	want := []format.Range{pageRange(heap, 0, 1), pageRange(heap, 5, 8), pageRange(heap, 31, 33), pageRange(heap, 44, 45)}
	for _, chunks := range [][2]int{{4096, 8192}, {16384, 4096}} {
		a := formattest.Open(t, build(t, []tregion{{start: heap, pages: oldHeap}}, chunks[0]))
		b := formattest.Open(t, build(t, []tregion{{start: heap, pages: newHeap}}, chunks[1]))
		for w := uint64(1); w <= 5; w++ {
			strictWindow = w * ps
			res, err := Compare(context.Background(), a, b, Options{Strict: true})
			if err != nil {
				t.Fatal(err)
			}
			if g := res.Regions[0]; !reflect.DeepEqual(g.Ranges, want) || g.Changes != ChangeContent {
				t.Errorf("chunks %v, window %d pages: %v %v, want %v", chunks, w, g.Changes, g.Ranges, want)
			}
		}
	}
}

// TestCompareIdentical compares two archives of the same content written
// differently (chunk sizes, zero pages as data or fills): no differences.
func TestCompareIdentical(t *testing.T) {
	a := heapPages()
	b := clonePages(a)
	a[3] = tpage{kind: kZeroData}
	b[3] = tpage{kind: kZeroFill}
	regs := func(p []tpage) []tregion {
		return []tregion{
			{start: 0x7fff0000, perms: "---p", skip: "no access", pages: make([]tpage, 16)},
			{start: heap, perms: "rw-p", pages: p},
		}
	}
	for _, strict := range []bool{false, true} {
		res, err := Compare(context.Background(), formattest.Open(t, build(t, regs(a), 16<<10)), formattest.Open(t, build(t, regs(b), 256<<10)), Options{Strict: strict})
		if err != nil {
			t.Fatal(err)
		}
		if res.Differs() || res.Unchanged != 2 {
			t.Errorf("strict=%v: %+v", strict, res)
		}
	}
}

// TestCompareUnreadableErrno: unreadable with another errno is a state
// change; the same errno is not.
func TestCompareUnreadableErrno(t *testing.T) {
	a, b := heapPages(), heapPages()
	b[50].seed = 14 // EFAULT
	res, err := Compare(context.Background(), formattest.Open(t, build(t, []tregion{{start: heap, pages: a}}, 0)), formattest.Open(t, build(t, []tregion{{start: heap, pages: b}}, 0)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := res.Regions[0]
	if g.Changes != ChangeStates || !reflect.DeepEqual(g.Ranges, []format.Range{pageRange(heap, 50, 51)}) {
		t.Errorf("got %v %v", g.Changes, g.Ranges)
	}
}

// corruptStored flips a byte in the stored (compressed) bytes of the
// region's first chunk, leaving its header intact.
func corruptStored(t *testing.T, arch []byte) []byte {
	t.Helper()
	out := bytes.Clone(arch)
	r := formattest.Open(t, out)
	for _, s := range r.Regions()[0].Spans() {
		if !s.IsChunk() {
			continue
		}
		stored := formattest.RecordField(t, out, s.Offset(), "stored")
		if stored.Size == 0 {
			continue
		}
		out[stored.Offset+stored.Size/2] ^= 0x40
		return out
	}
	t.Fatal("no chunk with stored bytes")
	return nil
}

// TestCompareHeadersOnly: a non-strict diff reads chunk headers only (a
// damaged stored byte goes unnoticed and little of the archive is read);
// a strict diff decompresses and so finds the damage.
func TestCompareHeadersOnly(t *testing.T) {
	regs := []tregion{{start: heap, perms: "rw-p", pages: dataPages(1024, 1)}}
	a := build(t, regs, 0)
	b := corruptStored(t, a)
	cr := &countingReaderAt{r: bytes.NewReader(b)}
	rb, err := format.NewReader(cr, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	opened := cr.n.Load()
	res, err := Compare(context.Background(), formattest.Open(t, a), rb, Options{})
	if err != nil || res.Differs() {
		t.Fatalf("non-strict: %v %+v", err, res)
	}
	if read := cr.n.Load() - opened; read > int64(len(b))/50 {
		t.Errorf("diff read %d of %d archive bytes: it should read chunk headers only", read, len(b))
	}
	_, err = Compare(context.Background(), formattest.Open(t, a), formattest.Open(t, b), Options{Strict: true})
	if err == nil || !strings.Contains(err.Error(), "new snapshot: region 0") {
		t.Errorf("strict diff of a damaged chunk: %v", err)
	}
}

func TestComparePageSizes(t *testing.T) {
	big := formattest.Archive{Options: format.WriterOptions{PageSize: 16384}, End: format.End{Complete: true}}.Bytes(t)
	_, err := Compare(context.Background(), formattest.Open(t, build(t, nil, 0)), formattest.Open(t, big), Options{})
	if err == nil || !strings.Contains(err.Error(), "page sizes differ") {
		t.Errorf("got %v", err)
	}
}

func TestRangesMerge(t *testing.T) {
	cases := []struct {
		name string
		add  [][2]uint64
		want []format.Range
	}{
		{"single", [][2]uint64{{0x1000, 0x2000}}, []format.Range{{Start: 0x1000, End: 0x2000}}},
		{"adjacent", [][2]uint64{{0x1000, 0x2000}, {0x2000, 0x3000}}, []format.Range{{Start: 0x1000, End: 0x3000}}},
		{"gap", [][2]uint64{{0x1000, 0x2000}, {0x3000, 0x4000}}, []format.Range{{Start: 0x1000, End: 0x2000}, {Start: 0x3000, End: 0x4000}}},
		{"unaligned rounds out", [][2]uint64{{0x1800, 0x2001}}, []format.Range{{Start: 0x1000, End: 0x3000}}},
		{"unaligned same page", [][2]uint64{{0x1000, 0x1800}, {0x1800, 0x2000}}, []format.Range{{Start: 0x1000, End: 0x2000}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ranges{ps: ps}
			for _, a := range c.add {
				r.add(a[0], a[1])
			}
			if !reflect.DeepEqual(r.list, c.want) {
				t.Errorf("got %v, want %v", r.list, c.want)
			}
		})
	}
}

func TestCompareCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := build(t, []tregion{{start: heap, pages: dataPages(2, 1)}}, 0)
	if _, err := Compare(ctx, formattest.Open(t, a), formattest.Open(t, a), Options{}); err == nil {
		t.Error("cancelled compare returned no error")
	}
}

// FuzzCompare compares arbitrary archives with a valid one: it must never
// panic or loop, whatever the input.
func FuzzCompare(f *testing.F) {
	// Small seeds: the fuzzer mutates large inputs very slowly.
	pages := []tpage{{kData, 1}, {kind: kZeroData}, {kind: kZeroFill}, {kUnreadable, 5}, {kData, 2}, {kind: kNotCapt}}
	good := build(f, []tregion{{start: heap, perms: "rw-p", pages: pages}, {start: heap + 1<<20, pages: pages[:2]}}, 8<<10)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := format.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		g := formattest.Open(t, good)
		_, _ = Compare(context.Background(), g, r, Options{})
		_, _ = Compare(context.Background(), r, g, Options{Strict: true})
	})
}
