//go:build linux

package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
	"github.com/procsnap/procsnap/snapshot/capture"
	"github.com/procsnap/procsnap/snapshot/elfcore"
)

// The values testdata/elfcore/xstate.c plants: lane i of vector register
// reg in the thread with this seed, and opmask register k<i>.
func xsLane(seed, reg, i uint64) uint64 {
	return 0xa5a5000000000000 ^ seed<<44 ^ reg<<24 ^ i<<8 ^ 0x5a
}

func xsK(seed, i uint64) uint64 { return 0x0c0ffee000000000 | seed<<16 | i }

// xsVector is how gdb's p/x prints the first n lanes of reg.
func xsVector(seed, reg uint64, n int) string {
	lanes := make([]string, n)
	for i := range lanes {
		lanes[i] = fmt.Sprintf("%#x", xsLane(seed, reg, uint64(i)))
	}
	return "{" + strings.Join(lanes, ", ") + "}"
}

// xsCheck is one gdb command and what it must print in one thread.
type xsCheck struct{ cmd, want string }

// xsChecks are the registers the target planted in the thread with seed:
// with AVX-512, zmm0/7/15 (xmm, upper ymm half and ZMM_Hi256), zmm16/31
// (Hi16_ZMM), ymm0 and k1..k7; with AVX only, ymm0/7/15.
func xsChecks(seed uint64, avx512 bool) []xsCheck {
	var out []xsCheck
	if !avx512 {
		for _, r := range []uint64{0, 7, 15} {
			out = append(out, xsCheck{fmt.Sprintf("p/x $ymm%d.v4_int64", r), xsVector(seed, r, 4)})
		}
		return out
	}
	for _, r := range []uint64{0, 7, 15, 16, 31} {
		out = append(out, xsCheck{fmt.Sprintf("p/x $zmm%d.v8_int64", r), xsVector(seed, r, 8)})
	}
	out = append(out, xsCheck{"p/x $ymm0.v4_int64", xsVector(seed, 0, 4)})
	for i := uint64(1); i <= 7; i++ {
		out = append(out, xsCheck{fmt.Sprintf("p/x $k%d", i), fmt.Sprintf("%#x", xsK(seed, i))})
	}
	return out
}

// TestExportCoreLiveXState captures a target whose two threads hold known
// values in their vector registers, exports the core, and reads them back
// with gdb: gdb takes every NT_X86_XSTATE without a warning, and each
// thread's ymm, zmm and k registers are what it had. On AMD CPUs with
// AVX-512 this needs the XSAVE layout the capture records (the kernel's
// buffer is not in the layout gdb 13 assumes).
func TestExportCoreLiveXState(t *testing.T) {
	proctest.NeedProgram(t, "gdb", "gdb")
	exe := xsBuild(t)
	lt := ecStart(t, exe)
	mode := strings.TrimPrefix(lt.ready, "ready ")
	switch mode {
	case "none":
		t.Skip("this CPU has no AVX: no vector registers to plant")
	case "avx":
		t.Log("this CPU has no AVX-512 (F and BW): checking ymm only, not zmm16-31 or k1-k7")
	}
	lt.waitInRead(t, 2)
	tids := lt.tasks(t)
	if len(tids) != 2 {
		t.Fatalf("target has %d tasks, want 2", len(tids))
	}
	archive, core := ecCaptureExport(t, lt.pid, capture.Options{})
	xsCheckExport(t, archive)
	leader := strconv.Itoa(lt.pid)
	var sections [][2]string
	for th, seed := range []uint64{1, 2} { // gdb's thread 1 is the leader (seed 1)
		name := fmt.Sprintf("t%d", th+1)
		sections = append(sections, [2]string{name, "thread " + strconv.Itoa(th+1)})
		for i, c := range xsChecks(seed, mode == "avx512") {
			sections = append(sections, [2]string{fmt.Sprintf("%s.%d", name, i), c.cmd})
		}
	}
	out := ecGDB(t, exe, core, sections...)
	if strings.Contains(out.stderr, "warning") {
		t.Errorf("gdb warns:\n%s", out.stderr)
	}
	if !strings.Contains(out.parts["t1"], "(LWP "+leader+")") || strings.Contains(out.parts["t2"], "(LWP "+leader+")") {
		t.Fatalf("gdb's thread 1 is not the leader %s:\n%s\n%s", leader, out.parts["t1"], out.parts["t2"])
	}
	for th, seed := range []uint64{1, 2} {
		for i, c := range xsChecks(seed, mode == "avx512") {
			got := strings.TrimSpace(out.parts[fmt.Sprintf("t%d.%d", th+1, i)])
			if _, v, _ := strings.Cut(got, " = "); v != c.want {
				t.Errorf("thread %d: %s printed %q, want %s", th+1, c.cmd, got, c.want)
			}
		}
	}
}

// xsCheckExport: the archive records the XSAVE layout, and export-core
// converts every thread's set without a warning.
func xsCheckExport(t *testing.T, archive string) {
	t.Helper()
	r, err := format.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(r.Meta().XSaveLayout) == 0 {
		t.Errorf("the archive records no XSAVE layout")
	}
	c, err := elfcore.Plan(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range c.Summary().Warnings {
		if strings.Contains(w, "XSTATE") {
			t.Errorf("export-core warns: %s", w)
		}
	}
}

// xsBuild builds testdata/elfcore/xstate.c for gdb (-g -O1).
func xsBuild(t *testing.T) string {
	proctest.NeedProgram(t, "gcc", "gcc")
	return proctest.BuildC(t, "elfcore/xstate.c", "-g", "-O1")
}
