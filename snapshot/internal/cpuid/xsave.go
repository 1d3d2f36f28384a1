package cpuid

// Component is one XSAVE state component in the standard format: the bytes
// [Offset, Offset+Size) of an NT_X86_XSTATE register set hold state
// component Feature (the XCR0 bit number: 2 AVX, 5 AVX-512 opmask, 6
// ZMM_Hi256, 7 Hi16_ZMM, 9 PKRU, ...).
type Component struct {
	Feature uint32
	Offset  uint32
	Size    uint32
}

// XSaveLayout returns the standard-format layout of every user state
// component this CPU supports (CPUID leaf 0xD sub-leaves 2..62), in feature
// order, or nil when the CPU has no XSAVE or the machine is not x86.
// Components 0 (x87) and 1 (SSE) live in the fixed 512-byte legacy area and
// are not listed; supervisor components never appear in ptrace's buffer and
// are left out.
func XSaveLayout() []Component {
	if !haveCPUID {
		return nil
	}
	return xsaveLayout(cpuid)
}

// CPUID bits and leaves (Intel SDM vol. 2A, CPUID; AMD APM vol. 3).
const (
	leafFeatures   = 1
	leafXSave      = 0xd
	ecx1XSave      = 1 << 26 // CPUID.1:ECX.XSAVE
	ecxSupervisor  = 1 << 0  // CPUID.(0xD,i):ECX bit 0: a supervisor component
	firstExtension = 2       // components 0 and 1 are the legacy area
	lastComponent  = 62      // bit 63 of XCR0 is reserved
)

// xsaveLayout does XSaveLayout's work with the given CPUID, so that tests
// can play any CPU.
func xsaveLayout(cpuid func(leaf, sub uint32) (a, b, c, d uint32)) []Component {
	if maxLeaf, _, _, _ := cpuid(0, 0); maxLeaf < leafXSave {
		return nil
	}
	if _, _, c, _ := cpuid(leafFeatures, 0); c&ecx1XSave == 0 {
		return nil
	}
	lo, _, _, hi := cpuid(leafXSave, 0) // the XCR0 bits the CPU supports
	supported := uint64(hi)<<32 | uint64(lo)
	var out []Component
	for i := uint32(firstExtension); i <= lastComponent; i++ {
		if supported&(1<<i) == 0 {
			continue
		}
		size, offset, flags, _ := cpuid(leafXSave, i)
		if flags&ecxSupervisor != 0 || size == 0 {
			continue
		}
		out = append(out, Component{Feature: i, Offset: offset, Size: size})
	}
	return out
}
