package elfcore

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

const lib = "/usr/lib/x86_64-linux-gnu/libfoo.so.1 (deleted)"

// mixedArchive has every kind of page, file-backed and anonymous regions,
// a skipped region, and three threads whose leader is not the first record.
func mixedArchive() testArchive {
	anon := func(start uint64, perms, pages string) formattest.Region {
		return formattest.Region{Desc: format.RegionDesc{Start: start, End: start + uint64(len(pages))*tps, Perms: perms}, Layout: pages}
	}
	file := func(start, off uint64, perms, pages string) formattest.Region {
		g := anon(start, perms, pages)
		g.Desc.Path, g.Desc.Inode, g.Desc.Offset, g.Desc.DevMajor = lib, 77, off, 8
		return g
	}
	skipped := anon(0x7000_0000, "---p", "NN")
	skipped.Layout = ""
	skipped.Desc.Skip = "no read permission"
	vvar := anon(0x7fff_f000_0000, "r--p", "FF")
	vvar.Desc.Path = "[vvar]"
	auxv := make([]byte, 32)
	le.PutUint64(auxv, 6) // AT_PAGESZ
	le.PutUint64(auxv[8:], tps)
	return testArchive{
		meta:    x86Meta(),
		auxv:    auxv,
		threads: []format.Thread{thread(101, true), thread(100, true), thread(102, false)},
		regions: []formattest.Region{
			file(0x40_0000, 0, "r-xp", "DDD"),
			file(0x40_3000, 0x3000, "rw-p", "DZD"), // a file-backed zero fill is written as zeros
			anon(0x1000_0000, "rw-p", "DDzDD"),
			anon(0x1010_0000, "rw-p", "DDFFDN"),
			anon(0x1020_0000, "rw-p", "DZZD"), // an anonymous zero fill is a hole
			skipped,
			vvar,
		},
	}
}

// wantLoad is one expected PT_LOAD.
type wantLoad struct {
	vaddr uint64
	pages uint64
	data  bool
	flags elf.ProgFlag
}

var mixedLoads = []wantLoad{
	{0x40_0000, 3, true, elf.PF_R | elf.PF_X},
	{0x40_3000, 3, true, elf.PF_R | elf.PF_W},
	{0x1000_0000, 5, true, elf.PF_R | elf.PF_W},
	{0x1010_0000, 2, true, elf.PF_R | elf.PF_W},
	{0x1010_2000, 2, false, elf.PF_R | elf.PF_W},
	{0x1010_4000, 1, true, elf.PF_R | elf.PF_W},
	{0x1010_5000, 1, false, elf.PF_R | elf.PF_W},
	{0x1020_0000, 1, true, elf.PF_R | elf.PF_W},
	{0x1020_1000, 2, false, elf.PF_R | elf.PF_W},
	{0x1020_3000, 1, true, elf.PF_R | elf.PF_W},
	{0x7000_0000, 2, false, 0},
	{0x7fff_f000_0000, 2, false, elf.PF_R},
}

func TestExportLoads(t *testing.T) {
	raw, want := mixedArchive().build(t)
	path, sum := exportFile(t, formattest.Open(t, raw))
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("debug/elf: %v", err)
	}
	defer f.Close()
	if f.Type != elf.ET_CORE || f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB {
		t.Fatalf("header: %v %v %v %v", f.Type, f.Machine, f.Class, f.Data)
	}
	if len(f.Progs) != len(mixedLoads)+1 || f.Progs[0].Type != elf.PT_NOTE {
		t.Fatalf("%d program headers (first %v), want PT_NOTE and %d PT_LOAD", len(f.Progs), f.Progs[0].Type, len(mixedLoads))
	}
	var fileBytes, holeBytes uint64
	for i, w := range mixedLoads {
		p := f.Progs[i+1]
		t.Run(fmt.Sprintf("%#x", w.vaddr), func(t *testing.T) {
			checkLoad(t, p, w, want)
		})
		if w.data {
			fileBytes += w.pages * tps
		} else {
			holeBytes += w.pages * tps
		}
	}
	if sum.Segments != len(mixedLoads) || sum.FileBytes != fileBytes || sum.HoleBytes != holeBytes || sum.Threads != 3 || sum.XNum {
		t.Errorf("summary %+v, want %d segments, %d file bytes, %d hole bytes, 3 threads", sum, len(mixedLoads), fileBytes, holeBytes)
	}
}

// checkLoad compares one PT_LOAD with what the archive holds.
func checkLoad(t *testing.T, p *elf.Prog, w wantLoad, want mem) {
	t.Helper()
	if p.Type != elf.PT_LOAD || p.Vaddr != w.vaddr || p.Memsz != w.pages*tps || p.Flags != w.flags || p.Align != tps {
		t.Fatalf("got %v vaddr %#x memsz %#x flags %v align %d; want PT_LOAD %#x %#x %v %d",
			p.Type, p.Vaddr, p.Memsz, p.Flags, p.Align, w.vaddr, w.pages*tps, w.flags, tps)
	}
	if !w.data {
		if p.Filesz != 0 {
			t.Fatalf("p_filesz %d, want 0 (no bytes in the archive)", p.Filesz)
		}
		return
	}
	if p.Filesz != p.Memsz || p.Off%tps != 0 {
		t.Fatalf("p_filesz %d p_offset %#x, want %d at a page boundary", p.Filesz, p.Off, p.Memsz)
	}
	got := make([]byte, p.Filesz)
	if _, err := p.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if exp := expected(want, w.vaddr, p.Memsz); !bytes.Equal(got, exp) {
		t.Errorf("contents differ from the archive's bytes")
	}
}

// expected is the archive's memory over [addr, addr+n): data runs from
// want, zeros elsewhere (zero fills).
func expected(want mem, addr, n uint64) []byte {
	out := make([]byte, n)
	for start, b := range want {
		lo, hi := max(start, addr), min(start+uint64(len(b)), addr+n)
		if lo < hi {
			copy(out[lo-addr:hi-addr], b[lo-start:hi-start])
		}
	}
	return out
}

func TestExportNotes(t *testing.T) {
	a := mixedArchive()
	raw, _ := a.build(t)
	path, _ := exportFile(t, formattest.Open(t, raw))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := parseCore(t, b)
	type id struct {
		name string
		typ  uint32
	}
	wantOrder := []id{{"CORE", ntPrstatus}, {"CORE", ntPrpsinfo}, {"CORE", ntAuxv}, {"CORE", ntFile},
		{"CORE", ntPrfpreg}, {"LINUX", ntX86Xstate},
		{"CORE", ntPrstatus}, {"CORE", ntPrfpreg}, {"LINUX", ntX86Xstate},
		{"CORE", ntPrstatus}}
	var got []id
	for _, n := range c.notes {
		got = append(got, id{n.name, n.typ})
	}
	if len(got) != len(wantOrder) {
		t.Fatalf("notes %v, want %v", got, wantOrder)
	}
	for i := range got {
		if got[i] != wantOrder[i] {
			t.Fatalf("notes %v, want %v", got, wantOrder)
		}
	}
	checkPrstatus(t, c.notes[0], 100, true)
	checkPrstatus(t, c.notes[6], 101, true)
	checkPrstatus(t, c.notes[9], 102, false)
	checkPrpsinfo(t, c.notes[1].desc)
	if !bytes.Equal(c.notes[2].desc, a.auxv) {
		t.Errorf("NT_AUXV %x, want %x", c.notes[2].desc, a.auxv)
	}
	checkFileNote(t, c.notes[3].desc)
	// The XSAVE set is in gdb's layout already: exported as it is, but for
	// 832..959, which no component of gdb's layout covers (written as zeros).
	xs := xsaveSet(102, 1088, 0x1f)
	clear(xs[832:960])
	if !bytes.Equal(c.notes[4].desc, regs(101, fpregsSize)) || !bytes.Equal(c.notes[5].desc, xs) {
		t.Errorf("leader's FP notes are not its captured register sets")
	}
}

func checkPrstatus(t *testing.T, n parsedNote, tid int, fp bool) {
	t.Helper()
	d := n.desc
	if len(d) != prstatusSize {
		t.Fatalf("NT_PRSTATUS of %d bytes, want %d", len(d), prstatusSize)
	}
	if got := int(le.Uint32(d[prstatusPidOff:])); got != tid {
		t.Errorf("pr_pid %d, want %d", got, tid)
	}
	if got := le.Uint32(d[prstatusPpidOff:]); got != 1 {
		t.Errorf("pr_ppid %d, want 1", got)
	}
	if !bytes.Equal(d[prstatusRegOff:prstatusRegOff+userRegsSize], regs(byte(tid), userRegsSize)) {
		t.Errorf("thread %d: pr_reg is not the captured user_regs_struct", tid)
	}
	if got := le.Uint32(d[prstatusFpvalidOff:]) == 1; got != fp {
		t.Errorf("thread %d: pr_fpvalid %v, want %v", tid, got, fp)
	}
}

func checkPrpsinfo(t *testing.T, d []byte) {
	t.Helper()
	if len(d) != prpsinfoSize {
		t.Fatalf("NT_PRPSINFO of %d bytes", len(d))
	}
	cstr := func(b []byte) string { s, _, _ := strings.Cut(string(b), "\x00"); return s }
	if got := cstr(d[prpsinfoFnameOff : prpsinfoFnameOff+prpsinfoFnameLen]); got != "target" {
		t.Errorf("pr_fname %q", got)
	}
	if got := cstr(d[prpsinfoArgsOff:]); got != "/bin/target -x arg with space" {
		t.Errorf("pr_psargs %q", got)
	}
	if le.Uint32(d[prpsinfoUIDOff:]) != 1000 || le.Uint32(d[prpsinfoGIDOff:]) != 100 ||
		le.Uint32(d[prpsinfoPidOff:]) != 100 || le.Uint32(d[prpsinfoPpidOff:]) != 1 {
		t.Errorf("uid/gid/pid/ppid: %x", d[16:40])
	}
}

func checkFileNote(t *testing.T, d []byte) {
	t.Helper()
	want := []uint64{2, tps, 0x40_0000, 0x40_3000, 0, 0x40_3000, 0x40_6000, 3}
	for i, w := range want {
		if got := le.Uint64(d[8*i:]); got != w {
			t.Fatalf("NT_FILE word %d = %#x, want %#x", i, got, w)
		}
	}
	if names := string(d[8*len(want):]); names != lib+"\x00"+lib+"\x00" {
		t.Errorf("NT_FILE names %q", names)
	}
}

func TestExportReadelf(t *testing.T) {
	raw, _ := mixedArchive().build(t)
	path, _ := exportFile(t, formattest.Open(t, raw))
	out := readelf(t, path)
	for _, want := range []string{"Elf file type is CORE", "NT_PRSTATUS", "NT_PRPSINFO", "NT_AUXV", "NT_FILE",
		"NT_FPREGSET", "NT_X86_XSTATE"} {
		if !strings.Contains(out, want) {
			t.Errorf("readelf output lacks %q:\n%.3000s", want, out)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^\s+LOAD\s`).FindAllString(out, -1)); n != len(mixedLoads) {
		t.Errorf("readelf lists %d LOAD segments, want %d", n, len(mixedLoads))
	}
	if n := strings.Count(out, "NT_PRSTATUS"); n != 3 {
		t.Errorf("readelf lists %d NT_PRSTATUS notes, want 3", n)
	}
}

// TestExportGDB: gdb takes the synthetic core alone: three threads, the
// leader first, archive bytes where they were captured, zeros in holes.
func TestExportGDB(t *testing.T) {
	raw, want := mixedArchive().build(t)
	path, _ := exportFile(t, formattest.Open(t, raw))
	data, hole, fileZero := uint64(0x1010_0000), uint64(0x1010_2000), uint64(0x40_4000)
	out := gdbCore(t, path, "info threads", fmt.Sprintf("x/gx %#x", data), fmt.Sprintf("x/gx %#x", hole), fmt.Sprintf("x/gx %#x", fileZero))
	for _, w := range []string{"* 1    LWP 100", "LWP 101", "LWP 102",
		gdbWord(data, want[data]), gdbWord(hole, make([]byte, 8)), gdbWord(fileZero, make([]byte, 8))} {
		if !strings.Contains(out, w) {
			t.Errorf("gdb output lacks %q:\n%s", w, out)
		}
	}
}
