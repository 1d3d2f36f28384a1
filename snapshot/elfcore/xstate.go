package elfcore

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/procsnap/procsnap/format"
)

// An NT_X86_XSTATE register set is the XSAVE area in the standard format
// of the CPU that captured it: the 512-byte fxsave area (XCR0 in its
// software-reserved bytes at 464), the 64-byte XSAVE header (XSTATE_BV at
// 512: the components not in their initial state; XCOMP_BV at 520, 0 in the
// standard format), then each component XCR0 enables at the offset CPUID
// leaf 0xD gives on that CPU.
//
// gdb 13 does not ask where the components are: it reads them at Intel's
// offsets (i387-tdep.c) and takes the section only when it is exactly
// X86_XSTATE_SIZE(XCR0) bytes (gdbsupport/x86-xstate.h; corelow.c warns
// "in core file too small" and ignores a smaller one, "Unexpected size" for
// a larger one). An AMD CPU with AVX-512 and no MPX puts opmask, ZMM_Hi256
// and Hi16_ZMM at 832, 896 and 1408 in a 0x980-byte area: gdb ignores it,
// and ymm, zmm and k read as unavailable, for the kernel's cores as well.
// So export-core moves every component gdb knows to gdb's offset, using the
// layout the capture recorded (format.Meta.XSaveLayout). gdb 14 and later
// guess the layout from XCR0 and the size and recognize Intel's, so the
// converted set reads right there too.

// Offsets in the XSAVE area every CPU shares.
const (
	xsaveXCR0Off  = 464 // software-reserved: the kernel's XCR0
	xsaveBVOff    = 512 // XSTATE_BV
	xsaveCompOff  = 520 // XCOMP_BV
	xsaveFirstOff = 576 // the end of the legacy area and header
)

// XCR0 bits, in the groups gdb treats as one feature each (one target
// description feature; a component of a present feature that XSTATE_BV
// leaves out reads as zeros). A group is kept or left out whole.
const (
	xfeatLegacy = 0x3    // x87, SSE: the fxsave area
	xfeatAVX    = 1 << 2 // upper halves of ymm0-15
	xfeatMPX    = 3 << 3 // BNDREGS, BNDCSR
	xfeatAVX512 = 7 << 5 // opmask, ZMM_Hi256, Hi16_ZMM
	xfeatPKRU   = 1 << 9 // protection keys
	xfeatGDB    = xfeatLegacy | xfeatAVX | xfeatMPX | xfeatAVX512 | xfeatPKRU
	maxFeature  = 62 // XCR0 bit 63 is reserved
	maxLayout   = 64 // components a layout may list
)

// gdbSlot is where gdb 13 reads one XSAVE component (Intel's standard
// format, the offsets in i387-tdep.c).
type gdbSlot struct {
	feature uint
	offset  uint64
	size    uint64
}

var gdbSlots = [...]gdbSlot{
	{2, 576, 256},   // AVX
	{3, 960, 64},    // MPX BNDREGS
	{4, 1024, 64},   // MPX BNDCSR
	{5, 1088, 64},   // AVX-512 opmask k0-k7
	{6, 1152, 512},  // ZMM_Hi256: upper halves of zmm0-15
	{7, 1664, 1024}, // Hi16_ZMM: zmm16-31
	{9, 2688, 8},    // PKRU
}

// xfeatGroups are the groups in the order they are decided; AVX-512 comes
// after AVX, which it needs.
var xfeatGroups = [...]struct {
	mask uint64
	name string
}{
	{xfeatAVX, "AVX (upper halves of ymm0-15)"},
	{xfeatMPX, "MPX (bnd0-3, bndcfgu, bndstatus)"},
	{xfeatAVX512, "AVX-512 (k0-7, zmm)"},
	{xfeatPKRU, "PKRU"},
}

// gdbXStateSize is the size gdb 13 wants for a set with this XCR0
// (X86_XSTATE_SIZE).
func gdbXStateSize(xcr0 uint64) int {
	switch {
	case xcr0&xfeatPKRU != 0:
		return 2696
	case xcr0&xfeatAVX512 != 0:
		return 2688
	case xcr0&xfeatMPX != 0:
		return 1088
	case xcr0&xfeatAVX != 0:
		return 832
	}
	return xsaveFirstOff
}

// xstateConv converts every thread's NT_X86_XSTATE to gdb's layout and
// collects what it had to leave out, once per reason for all threads.
type xstateConv struct {
	layout  map[uint]format.XSaveComponent // nil: not recorded, or unusable
	problem string                         // why the recorded layout is unusable
	notes   []xstateNote
	index   map[string]int // notes by message
	dropped int            // notes beyond maxWarnings
}

// xstateNote is one reason something was left out, and of which threads.
type xstateNote struct {
	msg  string
	tids []int
}

// newXStateConv takes the layout the archive recorded. A layout that lists
// a component twice, a bit XCR0 cannot have, or too many components is not
// used at all: it did not come from CPUID.
func newXStateConv(recorded []format.XSaveComponent) *xstateConv {
	x := &xstateConv{}
	if len(recorded) == 0 {
		return x
	}
	if len(recorded) > maxLayout {
		x.problem = fmt.Sprintf("it lists %d components", len(recorded))
		return x
	}
	x.layout = make(map[uint]format.XSaveComponent, len(recorded))
	for _, c := range recorded {
		_, dup := x.layout[uint(c.Feature)]
		switch {
		case c.Feature > maxFeature:
			x.problem = fmt.Sprintf("component %d is not an XCR0 bit", c.Feature)
		case dup:
			x.problem = fmt.Sprintf("component %d is listed twice", c.Feature)
		default:
			x.layout[uint(c.Feature)] = c
			continue
		}
		x.layout = nil
		return x
	}
	return x
}

// convert returns tid's set in gdb's layout: the legacy area and header as
// captured, XCR0 and XSTATE_BV reduced to the components kept, each kept
// component at gdb's offset, sized as gdb wants. src holds at least
// xsaveFirstOff bytes; nothing in it is trusted.
func (x *xstateConv) convert(tid int, src []byte) []byte {
	xcr0 := le.Uint64(src[xsaveXCR0Off:])
	// Components gdb does not know (AMX, ...) are left out; said only when
	// XSTATE_BV shows the thread had them out of their initial state.
	if other := xcr0 &^ xfeatGDB & le.Uint64(src[xsaveBVOff:]); other != 0 {
		x.note(tid, fmt.Sprintf("NT_X86_XSTATE: XSAVE components %s, in use, are not in gdb's layout: left out (the archive keeps them)", featureList(other)))
	}
	place, why := x.source(src, xcr0)
	keep := x.choose(tid, xcr0, place, why)
	out := make([]byte, gdbXStateSize(keep))
	copy(out, src[:xsaveFirstOff])
	le.PutUint64(out[xsaveXCR0Off:], keep)
	le.PutUint64(out[xsaveBVOff:], le.Uint64(src[xsaveBVOff:])&keep)
	le.PutUint64(out[xsaveCompOff:], 0)
	for _, s := range gdbSlots {
		if keep&(1<<s.feature) != 0 {
			off, _ := place(s)
			copy(out[s.offset:s.offset+s.size], src[off:off+s.size])
		}
	}
	return out
}

// choose returns the XCR0 bits kept: the legacy ones, and every group that
// XCR0 enables whole and place finds whole inside src. Each group left out
// is noted with the reason.
func (x *xstateConv) choose(tid int, xcr0 uint64, place placer, why string) uint64 {
	keep := xcr0 & xfeatLegacy
	for _, g := range xfeatGroups {
		want := xcr0 & g.mask
		reason := ""
		switch {
		case want == 0:
			continue
		case want != g.mask:
			reason = fmt.Sprintf("XCR0 %#x enables only part of it", xcr0)
		case g.mask == xfeatAVX512 && keep&xfeatAVX == 0:
			reason = "gdb shows zmm only with AVX, which is left out"
		case !placeAll(place, g.mask):
			reason = why
		}
		if reason != "" {
			x.note(tid, fmt.Sprintf("NT_X86_XSTATE: %s left out: %s", g.name, reason))
			continue
		}
		keep |= g.mask
	}
	return keep
}

// placer says where the captured set holds the component gdb reads at s:
// the offset of s.size bytes inside the set, or ok false.
type placer func(s gdbSlot) (off uint64, ok bool)

func placeAll(place placer, mask uint64) bool {
	for _, s := range gdbSlots {
		if mask&(1<<s.feature) != 0 {
			if _, ok := place(s); !ok {
				return false
			}
		}
	}
	return true
}

// source returns where src holds each component, and why a component it
// cannot place is left out. With the recorded layout, a component is where
// the layout says if that lies inside src. Without one, src is taken as
// gdb's own layout only when XCR0 holds nothing gdb does not know and src
// has the size gdb wants for it (Intel CPUs, and CPUs with nothing past
// AVX); otherwise only AVX is kept, at 576, where every XSAVE CPU has it.
func (x *xstateConv) source(src []byte, xcr0 uint64) (placer, string) {
	n := uint64(len(src))
	inside := func(off, size uint64) bool { return off >= xsaveFirstOff && off <= n && size <= n-off }
	if xcomp := le.Uint64(src[xsaveCompOff:]); xcomp != 0 {
		return func(gdbSlot) (uint64, bool) { return 0, false },
			fmt.Sprintf("XCOMP_BV is %#x: the set is not in the standard format ptrace returns", xcomp)
	}
	if x.layout != nil {
		return func(s gdbSlot) (uint64, bool) {
			c, ok := x.layout[s.feature]
			return uint64(c.Offset), ok && uint64(c.Size) >= s.size && inside(uint64(c.Offset), uint64(c.Size))
		}, fmt.Sprintf("the archive's XSAVE layout does not place it inside the %d-byte set", n)
	}
	what := "the archive does not record the capturing CPU's XSAVE layout (an older procsnap wrote it)"
	if x.problem != "" {
		what = "the archive's XSAVE layout is unusable (" + x.problem + ")"
	}
	why := fmt.Sprintf("%s, and a %d-byte set with XCR0 %#x is not in gdb's layout", what, n, xcr0)
	if xcr0&^xfeatGDB == 0 && n == uint64(gdbXStateSize(xcr0)) {
		return func(s gdbSlot) (uint64, bool) { return s.offset, inside(s.offset, s.size) }, why
	}
	return func(s gdbSlot) (uint64, bool) { return s.offset, s.feature == 2 && inside(s.offset, s.size) }, why
}

// note records that something was left out of tid's set.
func (x *xstateConv) note(tid int, msg string) {
	if i, ok := x.index[msg]; ok {
		x.notes[i].tids = append(x.notes[i].tids, tid)
		return
	}
	if len(x.notes) >= maxWarnings {
		x.dropped++
		return
	}
	if x.index == nil {
		x.index = map[string]int{}
	}
	x.index[msg] = len(x.notes)
	x.notes = append(x.notes, xstateNote{msg: msg, tids: []int{tid}})
}

// flush adds one warning per reason, naming the threads.
func (x *xstateConv) flush(warn *warnings) {
	for _, n := range x.notes {
		warn.add("%s (%s)", n.msg, threadList(n.tids))
	}
	if x.dropped > 0 {
		warn.add("%d more NT_X86_XSTATE problems not shown", x.dropped)
	}
}

// threadList names up to 5 threads.
func threadList(tids []int) string {
	const show = 5
	var b strings.Builder
	if len(tids) == 1 {
		b.WriteString("thread ")
	} else {
		b.WriteString("threads ")
	}
	for i, tid := range tids[:min(len(tids), show)] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, tid)
	}
	if len(tids) > show {
		fmt.Fprintf(&b, " and %d more", len(tids)-show)
	}
	return b.String()
}

// featureList names the XCR0 bits set in mask.
func featureList(mask uint64) string {
	var parts []string
	for mask != 0 {
		i := bits.TrailingZeros64(mask)
		parts = append(parts, fmt.Sprint(i))
		mask &^= 1 << i
	}
	return strings.Join(parts, ", ")
}
