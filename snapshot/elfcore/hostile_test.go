package elfcore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

func TestUnsupportedMachine(t *testing.T) {
	for _, machine := range []string{"aarch64", "riscv64", "i686", ""} {
		t.Run(machine, func(t *testing.T) {
			a := mixedArchive()
			a.meta.Host.Machine = machine
			raw, _ := a.build(t)
			_, err := Plan(formattest.Open(t, raw))
			if !errors.Is(err, ErrUnsupportedMachine) {
				t.Fatalf("err %v, want ErrUnsupportedMachine", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "not supported yet") || !strings.Contains(msg, `"`+machine+`"`) {
				t.Errorf("message %q should name the machine and say it is not supported yet", msg)
			}
		})
	}
}

func TestNoMetadata(t *testing.T) {
	raw, _ := mixedArchive().build(t)
	// Cut the archive right after the signature and header record: no
	// metadata record.
	recs, err := format.SplitRecords(raw)
	if err != nil {
		t.Fatal(err)
	}
	cut := formattest.Open(t, raw[:recs[1].Offset])
	if cut.Meta() != nil {
		t.Fatal("the cut archive still has metadata")
	}
	if _, err := Plan(cut); err == nil || errors.Is(err, ErrUnsupportedMachine) || !strings.Contains(err.Error(), "no metadata") {
		t.Fatalf("err %v, want a missing-metadata error", err)
	}
}

// TestHostileThreads: register sets of the wrong size, duplicate TIDs and
// threads without NT_PRSTATUS are left out with warnings, never a panic.
func TestHostileThreads(t *testing.T) {
	a := mixedArchive()
	bad := func(tid int, sets ...format.RegSet) format.Thread { return format.Thread{TID: tid, RegSets: sets} }
	a.threads = []format.Thread{
		bad(7, format.RegSet{Type: ntPrstatus, Data: make([]byte, 100)}),       // short GP regs
		bad(8, format.RegSet{Type: ntPrfpreg, Data: make([]byte, fpregsSize)}), // no GP regs
		thread(100, true),  // the leader
		thread(100, false), // duplicate TID
		bad(9, format.RegSet{Type: ntPrstatus, Data: regs(9, userRegsSize)}, // good GP regs,
			format.RegSet{Type: ntPrfpreg, Data: make([]byte, 3)}, format.RegSet{Type: ntX86Xstate, Data: make([]byte, 8)}), // bad FP
	}
	c, p := exportParsed(t, a)
	var tids []uint32
	for _, n := range p.notes {
		if n.typ == ntPrstatus {
			tids = append(tids, le.Uint32(n.desc[prstatusPidOff:]))
		}
	}
	if len(tids) != 2 || tids[0] != 100 || tids[1] != 9 {
		t.Errorf("NT_PRSTATUS threads %v, want [100 9]", tids)
	}
	warns := strings.Join(c.Summary().Warnings, "\n")
	for _, want := range []string{"thread 7: NT_PRSTATUS register set of 100 bytes", "thread 8: no NT_PRSTATUS",
		"thread 100: a second thread record", "thread 9: NT_PRFPREG of 3 bytes", "thread 9: NT_X86_XSTATE of 8 bytes"} {
		if !strings.Contains(warns, want) {
			t.Errorf("warnings lack %q:\n%s", want, warns)
		}
	}
}

// TestHostileRegions: odd perms, a NUL in a path, overlapping regions, a
// huge auxv and a zero fill above the budget.
func TestHostileRegions(t *testing.T) {
	a := mixedArchive()
	a.unordered = true
	a.auxv = make([]byte, MaxAuxvLen+16)
	a.regions[0].Desc.Perms = "x"                    // too short, and no 'r' first
	a.regions[1].Desc.Path = "/lib/a\x00b.so"        // cannot be an NT_FILE name
	a.regions = append(a.regions, formattest.Region{ // overlaps the previous region
		Desc:   format.RegionDesc{Start: 0x7fff_f000_1000, End: 0x7fff_f000_3000, Perms: "rw-p"},
		Layout: "DD",
	})
	big := formattest.Region{Desc: format.RegionDesc{Start: 0x2000_0000, End: 0x2000_4000, Perms: "rw-p", Path: "/big", Inode: 5}, Layout: "ZZZZ"}
	a.regions = append(a.regions, big)
	old := zeroFillBudget
	zeroFillBudget = 2 * tps
	defer func() { zeroFillBudget = old }()
	c, p := exportParsed(t, a)
	if p.phdrs[1].Flags != 0 {
		t.Errorf("perms %q gave p_flags %d, want 0", "x", p.phdrs[1].Flags)
	}
	for _, n := range p.notes {
		if n.typ == ntAuxv {
			t.Errorf("an auxv above MaxAuxvLen was written")
		}
		if n.typ == ntFile && bytes.Contains(n.desc, []byte("a\x00b")) {
			t.Errorf("a path with a NUL went into NT_FILE")
		}
	}
	warns := strings.Join(c.Summary().Warnings, "\n")
	for _, want := range []string{"auxv of 65552 bytes", "holds a NUL byte", "overlap", "beyond the 8192 bytes of zero fills"} {
		if !strings.Contains(warns, want) {
			t.Errorf("warnings lack %q:\n%s", want, warns)
		}
	}
}

// TestDamagedChunk: a chunk whose bytes no longer match their hash stops
// the export with an error that names the region.
func TestDamagedChunk(t *testing.T) {
	raw, _ := mixedArchive().build(t)
	r := formattest.Open(t, raw)
	var off int64
	for _, s := range r.Regions()[2].Spans() {
		if s.IsChunk() {
			off = s.Offset()
			break
		}
	}
	bad := append([]byte(nil), raw...)
	bad[off+200] ^= 0xff // inside the chunk header's page hashes
	c, err := Plan(formattest.Open(t, bad))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Write(context.Background(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "region 2") || !strings.Contains(err.Error(), "procsnap verify") {
		t.Fatalf("err %v, want one naming region 2 and suggesting verify", err)
	}
}

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after < len(p) {
		return 0, errors.New("disk full")
	}
	w.after -= len(p)
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	raw, _ := mixedArchive().build(t)
	c, err := Plan(formattest.Open(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	for _, after := range []int{0, int(c.Summary().Size) / 2, int(c.Summary().Size) - 1} {
		if err := c.Write(context.Background(), &failWriter{after: after}); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("writer failing after %d bytes: err %v", after, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Write(ctx, io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err %v", err)
	}
}

// TestXNum: 65535 or more program headers put PN_XNUM in e_phnum and the real
// count in section 0's sh_info; readelf still reads the core.
func TestXNum(t *testing.T) {
	const n = 65_600
	a := testArchive{meta: x86Meta(), threads: []format.Thread{thread(100, false)}}
	for i := range n {
		start := uint64(0x1000_0000) + uint64(i)*2*tps
		g := formattest.Region{Desc: format.RegionDesc{Start: start, End: start + tps, Perms: "rw-p"}, Layout: "F"}
		if i%1000 == 0 {
			g.Layout = "D"
		}
		a.regions = append(a.regions, g)
	}
	raw, want := a.build(t)
	path, sum := exportFile(t, formattest.Open(t, raw))
	if !sum.XNum || sum.Segments != n {
		t.Fatalf("summary %+v, want XNum and %d segments", sum, n)
	}
	b := readFile(t, path)
	if got := le.Uint16(b[56:]); got != pnXNum {
		t.Fatalf("e_phnum %#x, want PN_XNUM", got)
	}
	if shnum, shoff := le.Uint16(b[60:]), le.Uint64(b[40:]); shnum != 1 || shoff == 0 {
		t.Fatalf("e_shnum %d e_shoff %d, want 1 and the offset of section 0", shnum, shoff)
	}
	c := parseCore(t, b)
	if c.phnum != n+1 || len(c.loads()) != n {
		t.Fatalf("sh_info %d, %d loads; want %d, %d", c.phnum, len(c.loads()), n+1, n)
	}
	for _, p := range c.loads() {
		if d, ok := want[p.Vaddr]; ok && (p.Filesz != tps || !bytes.Equal(b[p.Offset:p.Offset+tps], d)) {
			t.Fatalf("segment %#x: contents differ from the archive", p.Vaddr)
		}
	}
	out := readelf(t, path)
	if !strings.Contains(out, "There are 65601 program headers") {
		t.Errorf("readelf does not count 65601 program headers:\n%.1000s", out)
	}
	if got := strings.Count(out, "  LOAD "); got != n {
		t.Errorf("readelf lists %d LOAD segments, want %d", got, n)
	}
	first, last := uint64(0x1000_0000), uint64(0x1000_0000)+(n/1000*1000)*2*tps
	hole := first + 2*tps
	g := gdbCore(t, path, "info threads", fmt.Sprintf("x/gx %#x", first), fmt.Sprintf("x/gx %#x", last), fmt.Sprintf("x/gx %#x", hole))
	for _, want := range []string{"LWP 100", gdbWord(first, want[first]), gdbWord(last, want[last]), gdbWord(hole, make([]byte, 8))} {
		if !strings.Contains(g, want) {
			t.Errorf("gdb output lacks %q:\n%s", want, g)
		}
	}
}

// TestXNumBoundary: e_phnum cannot hold 0xffff itself (it means PN_XNUM),
// so 65534 PT_LOADs plus the PT_NOTE already take the extended count.
func TestXNumBoundary(t *testing.T) {
	for _, tc := range []struct {
		loads int
		xnum  bool
	}{{65533, false}, {65534, true}, {65535, true}} {
		c := &Core{pageSize: tps, segs: make([]segment, tc.loads)}
		if err := c.layout(); err != nil {
			t.Fatal(err)
		}
		if c.xnum != tc.xnum {
			t.Errorf("%d PT_LOADs: xnum %v, want %v", tc.loads, c.xnum, tc.xnum)
		}
		want := uint64(ehdrSize + (tc.loads+1)*phdrSize)
		if tc.xnum {
			want += shdrSize
		}
		if c.notesOff != want {
			t.Errorf("%d PT_LOADs: notes at %d, want %d", tc.loads, c.notesOff, want)
		}
	}
}

// exportParsed plans and writes the core of a, and parses it.
func exportParsed(t *testing.T, a testArchive) (*Core, *parsedCore) {
	t.Helper()
	raw, _ := a.build(t)
	c, err := Plan(formattest.Open(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Write(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	return c, parseCore(t, buf.Bytes())
}
