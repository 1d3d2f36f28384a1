package cpuid

import (
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// fakeCPU answers CPUID from a table of (leaf, sub) → registers; anything
// else reads as zeros, as reserved leaves do.
type fakeCPU map[[2]uint32][4]uint32

func (f fakeCPU) cpuid(leaf, sub uint32) (a, b, c, d uint32) {
	r := f[[2]uint32{leaf, sub}]
	return r[0], r[1], r[2], r[3]
}

// xsaveCPU builds a CPU with XSAVE whose leaf 0xD lists comps; super are
// supervisor components (ECX bit 0), which must not be listed.
func xsaveCPU(comps []Component, super ...uint32) fakeCPU {
	f := fakeCPU{{0, 0}: {0x10}, {1, 0}: {0, 0, ecx1XSave, 0}}
	supported := uint64(0b11)
	for _, c := range comps {
		supported |= 1 << c.Feature
		f[[2]uint32{leafXSave, c.Feature}] = [4]uint32{c.Size, c.Offset, 0, 0}
	}
	for _, s := range super {
		supported |= 1 << s
		f[[2]uint32{leafXSave, s}] = [4]uint32{64, 0, ecxSupervisor, 0}
	}
	f[[2]uint32{leafXSave, 0}] = [4]uint32{uint32(supported), 0, 0, uint32(supported >> 32)}
	return f
}

// The layouts of the two machine kinds that matter: AMD Zen 4 without MPX
// (this project's test machine) and Intel with MPX and PKRU.
var (
	amdAVX512 = []Component{{2, 576, 256}, {5, 832, 64}, {6, 896, 512}, {7, 1408, 1024}}
	intelPKRU = []Component{{2, 576, 256}, {3, 960, 64}, {4, 1024, 64}, {5, 1088, 64}, {6, 1152, 512}, {7, 1664, 1024}, {9, 2688, 8}}
)

func TestXSaveLayout(t *testing.T) {
	for _, tc := range []struct {
		name string
		cpu  fakeCPU
		want []Component
	}{
		{"amd-avx512", xsaveCPU(amdAVX512), amdAVX512},
		{"intel-pkru", xsaveCPU(intelPKRU), intelPKRU},
		{"supervisor-left-out", xsaveCPU(amdAVX512, 11, 12), amdAVX512},
		{"amx-above-32", xsaveCPU([]Component{{2, 576, 256}, {17, 2816, 64}, {18, 2880, 8192}, {40, 11072, 16}}),
			[]Component{{2, 576, 256}, {17, 2816, 64}, {18, 2880, 8192}, {40, 11072, 16}}},
		{"no-leaf-0xd", fakeCPU{{0, 0}: {7}, {1, 0}: {0, 0, ecx1XSave, 0}}, nil},
		{"no-xsave", fakeCPU{{0, 0}: {0x10}}, nil},
		{"only-legacy", xsaveCPU(nil), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := xsaveLayout(tc.cpu.cpuid); !slices.Equal(got, tc.want) {
				t.Errorf("layout %v, want %v", got, tc.want)
			}
		})
	}
}

// TestXSaveLayoutHere runs the real CPUID: on an x86-64 CPU with XSAVE the
// layout lists AVX at 576 (every XSAVE CPU so far) when the CPU has AVX,
// and every component lies after the 576 bytes of legacy area and header.
func TestXSaveLayoutHere(t *testing.T) {
	got := XSaveLayout()
	if runtime.GOARCH != "amd64" {
		if got != nil {
			t.Fatalf("XSaveLayout on %s: %v, want nil", runtime.GOARCH, got)
		}
		t.Skipf("no CPUID on %s", runtime.GOARCH)
	}
	flags := cpuFlags(t)
	if !flags["xsave"] {
		if got != nil {
			t.Errorf("no xsave in /proc/cpuinfo but a layout: %v", got)
		}
		return
	}
	for _, c := range got {
		if c.Offset < 576 || c.Size == 0 {
			t.Errorf("component %+v: not after the legacy area and header", c)
		}
	}
	if flags["avx"] && (len(got) == 0 || got[0] != Component{2, 576, 256}) {
		t.Errorf("AVX CPU: layout %v does not start with AVX at 576", got)
	}
	t.Logf("XSAVE layout: %v", got)
}

func cpuFlags(t *testing.T) map[string]bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no /proc/cpuinfo: %v", err)
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			for _, f := range strings.Fields(v) {
				out[f] = true
			}
			break
		}
	}
	return out
}
