package capture

import (
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
)

// xcr0Offset is where the kernel puts XCR0 in an NT_X86_XSTATE register set
// (the software-reserved bytes of the fxsave area).
const xcr0Offset = 464

// TestCaptureRecordsXSaveLayout: on x86-64 with XSAVE the metadata records
// the CPU's XSAVE layout, and it matches the register sets the kernel gave
// the capture: every component XCR0 enables is listed, and the last one
// ends where the buffer ends. A layout read from CPUID that disagreed with
// the kernel's buffers would make export-core place registers wrongly.
func TestCaptureRecordsXSaveLayout(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skipf("CPUID and NT_X86_XSTATE are x86 only; this is %s", runtime.GOARCH)
	}
	tg := proctest.StartThreads(t, 2, 0)
	r, _, _ := captureFile(t, tg.PID, Options{})
	layout := map[uint32]format.XSaveComponent{}
	for _, c := range r.Meta().XSaveLayout {
		layout[c.Feature] = c
	}
	sets := 0
	for _, th := range r.Threads() {
		for _, rs := range th.RegSets {
			if rs.Type != 0x202 {
				continue
			}
			sets++
			checkXSaveAgainstLayout(t, th.TID, rs.Data, layout)
		}
	}
	if sets == 0 {
		if len(layout) > 0 {
			t.Errorf("layout %v recorded but no thread has NT_X86_XSTATE", r.Meta().XSaveLayout)
		}
		t.Skip("this CPU has no XSAVE: no NT_X86_XSTATE to check")
	}
	t.Logf("layout %v, %d NT_X86_XSTATE sets", r.Meta().XSaveLayout, sets)
}

func checkXSaveAgainstLayout(t *testing.T, tid int, xs []byte, layout map[uint32]format.XSaveComponent) {
	t.Helper()
	if len(xs) < 576 {
		t.Fatalf("thread %d: NT_X86_XSTATE of %d bytes", tid, len(xs))
	}
	xcr0 := binary.LittleEndian.Uint64(xs[xcr0Offset:])
	end := uint64(576)
	for f := uint32(2); f < 63; f++ {
		if xcr0&(1<<f) == 0 {
			continue
		}
		c, ok := layout[f]
		if !ok {
			t.Errorf("thread %d: XCR0 %#x enables component %d, which the recorded layout lacks", tid, xcr0, f)
			continue
		}
		end = max(end, uint64(c.Offset)+uint64(c.Size))
	}
	if end != uint64(len(xs)) {
		t.Errorf("thread %d: XCR0 %#x components end at %d by the recorded layout, the kernel's buffer at %d", tid, xcr0, end, len(xs))
	}
}
