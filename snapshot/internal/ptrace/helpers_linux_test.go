package ptrace

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
	"golang.org/x/sys/unix"
)

// The tests run real targets under real ptrace: a C program built from
// testdata/ptrace/target.c (internal/proctest builds it, or takes it
// prebuilt for make test-kernels), and helper processes re-executing this
// test binary.

const helperEnv = "PROCSNAP_PTRACE_HELPER"

func TestMain(m *testing.M) { proctest.Main(m) }

// target is a running test target. Its counters[0] counts SIGUSR1; the
// others grow while their thread runs.
type target struct {
	*proctest.Proc
	tid  int // a live thread to read memory through: a zombie leader has none
	mode string
	addr uintptr
	n    int
}

func startTarget(tb testing.TB, threads, busy int, sleep time.Duration, mode string) *target {
	tb.Helper()
	p := proctest.Start(tb, exec.Command(proctest.BuildC(tb, "ptrace/target.c"), strconv.Itoa(threads), strconv.Itoa(busy),
		strconv.FormatInt(sleep.Microseconds(), 10), mode))
	f := strings.Fields(p.Line(tb))
	if len(f) != 3 || f[0] != "ready" {
		tb.Fatalf("target said %q, want ready ADDR N", f)
	}
	addr, err1 := strconv.ParseUint(f[1], 0, 64)
	n, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		tb.Fatalf("target said %q", f)
	}
	tg := &target{Proc: p, tid: p.PID, mode: mode, addr: uintptr(addr), n: n}
	if mode == "leader-exit" {
		tids, err := readTasks(tg.PID)
		if err != nil {
			tb.Fatal(err)
		}
		tg.tid = slices.Max(tids)
	}
	return tg
}

// counters reads the target's counters with process_vm_readv.
func (tg *target) counters(tb testing.TB) []uint64 {
	tb.Helper()
	buf := make([]byte, 8*tg.n)
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(len(buf))
	remote := []unix.RemoteIovec{{Base: tg.addr, Len: len(buf)}}
	n, err := unix.ProcessVMReadv(tg.tid, local, remote, 0)
	if err != nil || n != len(buf) {
		tb.Fatalf("process_vm_readv %d: %d bytes, %v", tg.tid, n, err)
	}
	c := make([]uint64, tg.n)
	for i := range c {
		c[i] = binary.LittleEndian.Uint64(buf[8*i:])
	}
	return c
}

func freeze(tb testing.TB, pid int) *Frozen {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := Freeze(ctx, pid, nil)
	if err != nil {
		tb.Fatalf("Freeze(%d): %v", pid, err)
	}
	tb.Cleanup(func() { f.Thaw() })
	return f
}

// checkStopped checks that every thread is in a ptrace stop ('t') and that
// no counter moves. frozen, if not nil, must hold every live thread.
func checkStopped(tb testing.TB, tg *target, frozen []int) {
	tb.Helper()
	before := tg.counters(tb)
	for tid, s := range proctest.StatesOf(tb, tg.PID) {
		if s == 'Z' || s == 'X' {
			continue // a zombie leader, or a thread that was exiting
		}
		if s != 't' {
			tb.Errorf("thread %d is in state %c while frozen, want t", tid, s)
		}
		if frozen != nil && !slices.Contains(frozen, tid) {
			tb.Errorf("thread %d is not in Tasks()", tid)
		}
	}
	time.Sleep(30 * time.Millisecond)
	if after := tg.counters(tb); !slices.Equal(before, after) {
		tb.Errorf("counters moved while frozen:\n%v\n%v", before, after)
	}
}

// checkRunning waits until every counting thread has counted again and every
// thread is running or sleeping (a zombie leader stays a zombie).
func checkRunning(tb testing.TB, tg *target) {
	tb.Helper()
	before := tg.counters(tb)
	proctest.WaitFor(tb, 5*time.Second, "every thread of the target runs again", func() bool {
		after := tg.counters(tb)
		for i := 1; i < tg.n; i++ {
			if after[i] == before[i] {
				return false
			}
		}
		for tid, s := range proctest.StatesOf(tb, tg.PID) {
			if s != 'S' && s != 'R' && (s != 'Z' || tid != tg.PID || tg.mode != "leader-exit") {
				return false
			}
		}
		return true
	})
}

// startHelper re-executes the test binary as TestHelperProcess doing arg and
// returns it with the first line it printed.
func startHelper(tb testing.TB, arg string) (*proctest.Proc, string) {
	tb.Helper()
	p := proctest.Start(tb, proctest.Self("TestHelperProcess", helperEnv+"="+arg))
	return p, p.Line(tb)
}

// TestHelperProcess is not a test: it is the body of the helper processes
// of the tests. "freeze PID" freezes PID and sleeps.
func TestHelperProcess(t *testing.T) {
	verb, arg, ok := strings.Cut(os.Getenv(helperEnv), " ")
	if !ok || verb != "freeze" {
		t.Skip("runs only as a helper process")
	}
	n, _ := strconv.Atoi(arg)
	f, err := Freeze(context.Background(), n, nil)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("frozen", len(f.Tasks()))
	time.Sleep(time.Hour)
	runtime.KeepAlive(f) // dropping f would thaw the target
	os.Exit(2)
}
