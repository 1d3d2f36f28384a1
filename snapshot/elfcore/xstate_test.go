package elfcore

import (
	"fmt"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

// Layouts as CPUID leaf 0xD gives them: AMD Zen 4 without MPX (this
// project's test machine; with PKRU where the CPU has it) and Intel with MPX
// and PKRU, the layout gdb 13 assumes.
var (
	amdLayout  = []format.XSaveComponent{{Feature: 2, Offset: 576, Size: 256}, {Feature: 5, Offset: 832, Size: 64}, {Feature: 6, Offset: 896, Size: 512}, {Feature: 7, Offset: 1408, Size: 1024}}
	amdPKRU    = append(append([]format.XSaveComponent(nil), amdLayout...), format.XSaveComponent{Feature: 9, Offset: 2432, Size: 8})
	intelPKRU  = []format.XSaveComponent{{Feature: 2, Offset: 576, Size: 256}, {Feature: 3, Offset: 960, Size: 64}, {Feature: 4, Offset: 1024, Size: 64}, {Feature: 5, Offset: 1088, Size: 64}, {Feature: 6, Offset: 1152, Size: 512}, {Feature: 7, Offset: 1664, Size: 1024}, {Feature: 9, Offset: 2688, Size: 8}}
	intelAMX   = append(append([]format.XSaveComponent(nil), intelPKRU...), format.XSaveComponent{Feature: 17, Offset: 2816, Size: 64}, format.XSaveComponent{Feature: 18, Offset: 2880, Size: 8192})
	amdXCR0    = uint64(0xe7)
	pkruXCR0   = uint64(0x2e7)
	intelXCR0  = uint64(0x2ff)
	amxXCR0    = uint64(0x602ff)
	legacyXCR0 = uint64(0x3)
)

// compByte is byte i of component f in a test set, so that every
// component's bytes are told apart wherever they are.
func compByte(f uint, i int) byte { return byte(f<<4) ^ byte(i*7) ^ 0x5a }

// layoutSet builds an n-byte XSAVE set as the kernel gives it on a CPU with
// this layout: the legacy area a pattern, XCR0 and XSTATE_BV xcr0 (bv
// clears bits from XSTATE_BV), every component xcr0 enables filled with
// compByte.
func layoutSet(layout []format.XSaveComponent, xcr0, bv uint64, n int) []byte {
	b := make([]byte, n)
	for i := range xsaveFirstOff {
		b[i] = byte(i)
	}
	le.PutUint64(b[xsaveXCR0Off:], xcr0)
	le.PutUint64(b[xsaveBVOff:], xcr0&^bv)
	clear(b[xsaveCompOff:xsaveFirstOff])
	for _, c := range layout {
		if xcr0&(1<<c.Feature) == 0 {
			continue
		}
		for i := range int(c.Size) {
			if int(c.Offset)+i < n {
				b[int(c.Offset)+i] = compByte(uint(c.Feature), i)
			}
		}
	}
	return b
}

// checkGDBLayout checks out against what gdb must read: size from keep,
// XCR0 keep, XSTATE_BV the source's masked by keep, the legacy area as
// captured, each kept component at gdb's offset and zeros elsewhere.
func checkGDBLayout(t *testing.T, out, src []byte, keep uint64) {
	t.Helper()
	if len(out) != gdbXStateSize(keep) {
		t.Fatalf("%d bytes, want %d (gdb's size for XCR0 %#x)", len(out), gdbXStateSize(keep), keep)
	}
	if got := le.Uint64(out[xsaveXCR0Off:]); got != keep {
		t.Errorf("XCR0 %#x, want %#x", got, keep)
	}
	if got, want := le.Uint64(out[xsaveBVOff:]), le.Uint64(src[xsaveBVOff:])&keep; got != want {
		t.Errorf("XSTATE_BV %#x, want %#x", got, want)
	}
	for i := range xsaveXCR0Off {
		if out[i] != src[i] {
			t.Fatalf("legacy area byte %d is %#x, want %#x", i, out[i], src[i])
		}
	}
	want := make([]byte, len(out))
	for _, s := range gdbSlots {
		if keep&(1<<s.feature) != 0 {
			for i := range int(s.size) {
				want[int(s.offset)+i] = compByte(s.feature, i)
			}
		}
	}
	for i := xsaveFirstOff; i < len(out); i++ {
		if out[i] != want[i] {
			t.Fatalf("byte %d is %#x, want %#x", i, out[i], want[i])
		}
	}
}

// xstateCase is one set to convert: the layout the archive recorded, the
// set, the XCR0 bits that must be kept, and a warning that must be given.
type xstateCase struct {
	name     string
	recorded []format.XSaveComponent
	src      []byte
	keep     uint64
	warn     string // "" for none
}

// xstateCases are real CPUs' sets, sets of archives without a layout, and
// hostile layouts and sets.
func xstateCases() []xstateCase {
	dup := append(append([]format.XSaveComponent(nil), amdLayout...), format.XSaveComponent{Feature: 5, Offset: 1088, Size: 64})
	bad := func(f uint32, c format.XSaveComponent) []format.XSaveComponent {
		out := append([]format.XSaveComponent(nil), amdLayout...)
		for i := range out {
			if out[i].Feature == f {
				out[i] = c
			}
		}
		return out
	}
	compacted := layoutSet(amdLayout, amdXCR0, 0, 2432)
	le.PutUint64(compacted[xsaveCompOff:], 1<<63|amdXCR0)
	return []xstateCase{
		{"amd", amdLayout, layoutSet(amdLayout, amdXCR0, 0, 2432), amdXCR0, ""},
		{"amd-init-state", amdLayout, layoutSet(amdLayout, amdXCR0, 0x61, 2432), amdXCR0, ""},
		{"amd-pkru", amdPKRU, layoutSet(amdPKRU, pkruXCR0, 0, 2440), pkruXCR0, ""},
		{"intel", intelPKRU, layoutSet(intelPKRU, intelXCR0, 0, 2696), intelXCR0, ""},
		{"intel-amx", intelAMX, layoutSet(intelAMX, amxXCR0, 0, 11072), intelXCR0, "components 17, 18, in use, are not in gdb's layout"},
		{"intel-amx-unused", intelAMX, layoutSet(intelAMX, amxXCR0, 3<<17, 11072), intelXCR0, ""},
		{"avx-only-cpu", amdLayout[:1], layoutSet(amdLayout, 0x7, 0, 832), 0x7, ""},
		{"old-archive-intel-size", nil, layoutSet(intelPKRU, 0xff, 0, 2688), 0xff, ""},
		{"old-archive-avx-only", nil, layoutSet(amdLayout, 0x7, 0, 832), 0x7, ""},
		{"old-archive-amd", nil, layoutSet(amdLayout, amdXCR0, 0, 2432), 0x7, "AVX-512 (k0-7, zmm) left out: the archive does not record"},
		{"old-archive-amx", nil, layoutSet(intelAMX, amxXCR0, 0, 11072), 0x7, "a 11072-byte set with XCR0 0x602ff is not in gdb's layout"},
		{"duplicate-component", dup, layoutSet(amdLayout, amdXCR0, 0, 2432), 0x7, "layout is unusable (component 5 is listed twice)"},
		{"component-63", append(amdLayout[:1:1], format.XSaveComponent{Feature: 63, Offset: 576, Size: 8}), layoutSet(amdLayout, amdXCR0, 0, 2432), 0x7, "unusable (component 63 is not an XCR0 bit)"},
		{"too-many-components", make([]format.XSaveComponent, 65), layoutSet(amdLayout, amdXCR0, 0, 2432), 0x7, "it lists 65 components"},
		{"offset-beyond-set", bad(7, format.XSaveComponent{Feature: 7, Offset: 0xffffffff, Size: 1024}), layoutSet(amdLayout, amdXCR0, 0, 2432), 0x7, "does not place it inside the 2432-byte set"},
		{"size-beyond-set", bad(7, format.XSaveComponent{Feature: 7, Offset: 1408, Size: 0xffffffff}), layoutSet(amdLayout, amdXCR0, 0, 2432), 0x7, "does not place it inside"},
		{"component-too-small", bad(6, format.XSaveComponent{Feature: 6, Offset: 896, Size: 8}), layoutSet(amdLayout, amdXCR0, 0, 2432), 0x7, "does not place it inside"},
		{"component-in-header", bad(5, format.XSaveComponent{Feature: 5, Offset: 512, Size: 64}), layoutSet(amdLayout, amdXCR0, 0, 2432), 0x7, "does not place it inside"},
		{"avx-missing-from-layout", amdLayout[1:], layoutSet(amdLayout, amdXCR0, 0, 2432), 0x3, "gdb shows zmm only with AVX"},
		{"set-cut-short", amdLayout, layoutSet(amdLayout, amdXCR0, 0, 1000), 0x7, "inside the 1000-byte set"},
		{"legacy-size-set", amdLayout, layoutSet(amdLayout, amdXCR0, 0, 576), 0x3, "AVX (upper halves of ymm0-15) left out"},
		{"part-of-avx512", amdLayout, layoutSet(amdLayout, 0x27, 0, 2432), 0x7, "XCR0 0x27 enables only part of it"},
		{"avx512-without-avx", amdLayout, layoutSet(amdLayout, 0xe3, 0, 2432), 0x3, "gdb shows zmm only with AVX"},
		{"compacted", amdLayout, compacted, 0x3, "XCOMP_BV is 0x80000000000000e7"},
		{"xcr0-zero", amdLayout, layoutSet(amdLayout, 0, 0, 2432), 0, ""},
		{"xcr0-legacy", amdLayout, layoutSet(amdLayout, legacyXCR0, 0, 576), legacyXCR0, ""},
		{"xcr0-all-ones", amdLayout, layoutSet(amdLayout, ^uint64(0), 0, 2432), amdXCR0, "components 8, 10, 11"},
	}
}

func TestXStateConvert(t *testing.T) {
	for _, tc := range xstateCases() {
		t.Run(tc.name, func(t *testing.T) {
			x := newXStateConv(tc.recorded)
			out := x.convert(7, tc.src)
			checkGDBLayout(t, out, tc.src, tc.keep)
			var w warnings
			x.flush(&w)
			got := strings.Join(w.all(), "\n")
			switch {
			case tc.warn == "" && got != "":
				t.Errorf("warnings %q, want none", got)
			case tc.warn != "" && !strings.Contains(got, tc.warn):
				t.Errorf("warnings %q, want one with %q", got, tc.warn)
			case tc.warn != "" && !strings.Contains(got, "(thread 7)"):
				t.Errorf("warnings %q do not name the thread", got)
			}
		})
	}
}

// TestXStateWarnOnce: the same problem in every thread is one warning that
// names a few of the threads and counts the others.
func TestXStateWarnOnce(t *testing.T) {
	x := newXStateConv(nil)
	for tid := 1; tid <= 8; tid++ {
		x.convert(tid, layoutSet(amdLayout, amdXCR0, 0, 2432))
	}
	var w warnings
	x.flush(&w)
	if len(w.all()) != 1 || !strings.HasSuffix(w.all()[0], "(threads 1, 2, 3, 4, 5 and 3 more)") {
		t.Errorf("warnings %q, want one naming threads 1-5 and 3 more", w.all())
	}
}

// TestXStateWarnBound: hostile sets with a different XCR0 each cannot make
// the warnings grow without bound.
func TestXStateWarnBound(t *testing.T) {
	x := newXStateConv(nil)
	for tid := range 3 * maxWarnings {
		x.convert(tid, layoutSet(amdLayout, 1<<20|uint64(tid)<<21, 0, 600))
	}
	var w warnings
	x.flush(&w)
	if n := len(w.all()); n > maxWarnings+1 {
		t.Errorf("%d warnings, want at most %d", n, maxWarnings+1)
	}
	if last := w.all()[len(w.all())-1]; !strings.Contains(last, "more") {
		t.Errorf("last warning %q does not count the ones left out", last)
	}
}

// FuzzXStateConvert: any recorded layout and any set at least as long as
// the legacy area and header convert without panic into a set gdb takes:
// the size gdb wants for the XCR0 written, which holds only components gdb
// knows, and a XSTATE_BV within it.
func FuzzXStateConvert(f *testing.F) {
	f.Add([]byte{2, 0x40, 2, 0, 1, 5, 0x40, 3, 0x40, 0}, uint16(2432), uint64(0xe7), uint64(0xe6))
	f.Add([]byte{7, 0x80, 5, 0, 4, 7, 0xff, 0xff, 0xff, 0xff}, uint16(2688), uint64(0xff), uint64(0xff))
	f.Fuzz(func(t *testing.T, lay []byte, n uint16, xcr0, bv uint64) {
		var recorded []format.XSaveComponent
		for ; len(lay) >= 5; lay = lay[5:] {
			recorded = append(recorded, format.XSaveComponent{Feature: uint32(lay[0]),
				Offset: uint32(le.Uint16(lay[1:])), Size: uint32(le.Uint16(lay[3:]))})
		}
		src := make([]byte, xsaveFirstOff+int(n)%12000)
		le.PutUint64(src[xsaveXCR0Off:], xcr0)
		le.PutUint64(src[xsaveBVOff:], bv)
		out := newXStateConv(recorded).convert(1, src)
		keep := le.Uint64(out[xsaveXCR0Off:])
		if keep&^xfeatGDB != 0 || len(out) != gdbXStateSize(keep) || le.Uint64(out[xsaveBVOff:])&^keep != 0 {
			t.Fatalf("XCR0 %#x, XSTATE_BV %#x, %d bytes", keep, le.Uint64(out[xsaveBVOff:]), len(out))
		}
	})
}

// gdbVector is how gdb's p/x prints n 64-bit lanes made of the bytes
// byteAt(0..8n-1).
func gdbVector(n int, byteAt func(i int) byte) string {
	lanes := make([]string, n)
	for l := range lanes {
		var b [8]byte
		for i := range b {
			b[i] = byteAt(8*l + i)
		}
		lanes[l] = fmt.Sprintf("%#x", le.Uint64(b[:]))
	}
	return "{" + strings.Join(lanes, ", ") + "}"
}

// TestExportXStateGDB exports a thread captured on an AMD CPU with AVX-512
// (0x980-byte XSAVE set) and reads its vector registers with gdb: with the
// recorded layout every register is where the CPU had it; without one (an
// archive from an older procsnap) ymm is still right, AVX-512 is absent
// rather than wrong, and export-core says so.
func TestExportXStateGDB(t *testing.T) {
	xmm0 := func(i int) byte { return byte(160 + i) } // layoutSet's legacy pattern
	ymm0 := gdbVector(4, func(i int) byte {
		if i < 16 {
			return xmm0(i)
		}
		return compByte(2, i-16)
	})
	k1 := fmt.Sprintf("%#x", le.Uint64([]byte{compByte(5, 8), compByte(5, 9), compByte(5, 10), compByte(5, 11), compByte(5, 12), compByte(5, 13), compByte(5, 14), compByte(5, 15)}))
	zmm16 := gdbVector(8, func(i int) byte { return compByte(7, i) })
	for _, tc := range []struct {
		name     string
		recorded []format.XSaveComponent
		want     []string
		warn     string
	}{
		{"recorded-layout", amdLayout, []string{"$1 = " + zmm16, "$2 = " + k1, "$3 = " + ymm0}, ""},
		{"old-archive", nil, []string{"$1 = void", "$2 = " + ymm0}, "AVX-512 (k0-7, zmm) left out"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := mixedArchive()
			a.meta.XSaveLayout = tc.recorded
			a.threads = []format.Thread{{TID: 100, RegSets: []format.RegSet{{Type: ntPrstatus, Data: regs(1, userRegsSize)},
				{Type: ntX86Xstate, Data: layoutSet(amdLayout, amdXCR0, 0, 2432)}}}}
			raw, _ := a.build(t)
			path, sum := exportFile(t, formattest.Open(t, raw))
			// The last command must succeed: gdb -batch exits 1 when it fails.
			out := gdbCore(t, path, "p/x $zmm16.v8_int64", "p/x $k1", "p/x $ymm0.v4_int64")
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("gdb output lacks %q:\n%s", w, out)
				}
			}
			warns := strings.Join(sum.Warnings, "\n")
			if tc.warn == "" && strings.Contains(warns, "XSTATE") || !strings.Contains(warns, tc.warn) {
				t.Errorf("warnings %q, want %q", warns, tc.warn)
			}
		})
	}
}
