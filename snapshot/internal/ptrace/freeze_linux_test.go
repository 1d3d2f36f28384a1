package ptrace

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
	"golang.org/x/sys/unix"

	"github.com/procsnap/procsnap/procfs"
)

func TestFreezeThaw64Threads(t *testing.T) {
	tg := startTarget(t, 63, 4, time.Millisecond, "run") // 63 threads and the leader
	checkRunning(t, tg)
	f := freeze(t, tg.PID)

	tasks := f.Tasks()
	if len(tasks) != 64 || tasks[0] != tg.PID {
		t.Fatalf("Tasks() = %d tids starting with %v, want 64 starting with the leader %d", len(tasks), tasks[:1], tg.PID)
	}
	checkStopped(t, tg, tasks)
	if len(f.Exited()) != 0 {
		t.Errorf("Exited() = %v, want none", f.Exited())
	}

	if err := f.Thaw(); err != nil {
		t.Fatalf("Thaw: %v", err)
	}
	checkRunning(t, tg)
	if err := f.Thaw(); err != nil {
		t.Errorf("second Thaw: %v", err)
	}
	if _, err := f.Registers(tg.PID); err == nil {
		t.Error("Registers after Thaw succeeded")
	}
}

func TestRegisters(t *testing.T) {
	tg := startTarget(t, 7, 2, time.Millisecond, "run")
	f := freeze(t, tg.PID)
	mapped := readMaps(t, tg.PID)
	for _, tid := range f.Tasks() {
		sets, err := f.Registers(tid)
		if err != nil {
			t.Fatalf("Registers(%d): %v", tid, err)
		}
		size := map[uint32]int{}
		for _, rs := range sets {
			size[rs.Type] = len(rs.Data)
		}
		if size[format.NTPrstatus] != 216 || size[format.NTPrfpreg] != 512 {
			t.Errorf("tid %d: NT_PRSTATUS %d bytes, NT_PRFPREG %d, want 216 and 512", tid, size[format.NTPrstatus], size[format.NTPrfpreg])
		}
		if n, ok := size[format.NTX86Xstate]; ok && n < 576 {
			t.Errorf("tid %d: NT_X86_XSTATE is %d bytes, want at least 576", tid, n)
		}
		rip, err := format.InstructionPointer(sets[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		rsp, _ := format.StackPointer(sets[0].Data)
		if perms, ok := mapped.find(rip); !ok || !strings.Contains(perms, "x") {
			t.Errorf("tid %d: rip %#x is not in an executable mapping (%q)", tid, rip, perms)
		}
		if _, ok := mapped.find(rsp); !ok {
			t.Errorf("tid %d: rsp %#x is in no mapping", tid, rsp)
		}
	}
	if _, err := f.Registers(1); err == nil {
		t.Error("Registers(1), not a task of the target, succeeded")
	}
}

// mappings are a target's maps, read through procfs.
type mappings []procfs.Mapping

func (m mappings) find(addr uint64) (string, bool) {
	for _, r := range m {
		if r.Start <= addr && addr < r.End {
			return r.Perms, true
		}
	}
	return "", false
}

func readMaps(t *testing.T, pid int) mappings {
	_, m, err := procfs.Default().Maps(pid)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFreezeWhileSpawning freezes a target whose threads create and join
// short-lived threads without pause.
func TestFreezeWhileSpawning(t *testing.T) {
	tg := startTarget(t, 4, 0, time.Millisecond, "spawn")
	for i := range 20 {
		f := freeze(t, tg.PID)
		checkStopped(t, tg, f.Tasks())
		if err := f.Thaw(); err != nil {
			t.Fatalf("round %d: Thaw: %v", i, err)
		}
		checkRunning(t, tg)
	}
}

// TestFreezeStoppedProcess checks that a process stopped by SIGSTOP is still
// stopped after a freeze and thaw.
func TestFreezeStoppedProcess(t *testing.T) {
	tg := startTarget(t, 4, 1, time.Millisecond, "run")
	if err := syscall.Kill(tg.PID, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	allIn := func(state byte) func() bool {
		return func() bool {
			for _, s := range proctest.StatesOf(t, tg.PID) {
				if s != state {
					return false
				}
			}
			return true
		}
	}
	proctest.WaitFor(t, 5*time.Second, "SIGSTOP stops every thread", allIn('T'))
	f := freeze(t, tg.PID)
	checkStopped(t, tg, f.Tasks())
	if err := f.Thaw(); err != nil {
		t.Fatalf("Thaw: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	if !allIn('T')() {
		t.Errorf("after Thaw the states are %v, want all T", proctest.StatesOf(t, tg.PID))
	}
	if err := syscall.Kill(tg.PID, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	checkRunning(t, tg)
}

// TestTracerKilled freezes the target from a helper process and kills the
// helper with SIGKILL: the kernel detaches, and the target runs on.
func TestTracerKilled(t *testing.T) {
	tg := startTarget(t, 16, 2, time.Millisecond, "run")
	helper, line := startHelper(t, "freeze "+strconv.Itoa(tg.PID))
	if line != "frozen 17" {
		t.Fatalf("helper said %q, want frozen 17", line)
	}
	checkStopped(t, tg, nil)
	if err := helper.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	helper.Wait()
	checkRunning(t, tg)
}

// TestAlreadyTraced: a thread held by another tracer fails the freeze with
// EPERM naming it, and the threads frozen before it are thawed.
func TestAlreadyTraced(t *testing.T) {
	tg := startTarget(t, 8, 1, time.Millisecond, "run")
	tids, err := readTasks(tg.PID)
	if err != nil {
		t.Fatal(err)
	}
	held := slices.Max(tids) // the last one Freeze reaches
	holder := proctest.StartTracer(t, held)

	f, err := Freeze(context.Background(), tg.PID, nil)
	if err == nil {
		f.Thaw()
		t.Fatal("Freeze of a traced thread succeeded")
	}
	var te *TaskError
	if !errors.Is(err, unix.EPERM) || !errors.As(err, &te) || te.Tid != held {
		t.Fatalf("Freeze: %v; want a *TaskError for tid %d wrapping EPERM", err, held)
	}
	want := fmt.Sprintf("seize %d: operation not permitted (already traced by pid %d)", held, holder.PID)
	if err.Error() != want {
		t.Errorf("error text %q, want %q", err, want)
	}
	checkRunning(t, tg)
}

// TestZombieLeader freezes a process whose leader called pthread_exit.
func TestZombieLeader(t *testing.T) {
	tg := startTarget(t, 4, 1, time.Millisecond, "leader-exit")
	proctest.WaitFor(t, 5*time.Second, "the leader becomes a zombie", func() bool { return proctest.StatesOf(t, tg.PID)[tg.PID] == 'Z' })
	f := freeze(t, tg.PID)
	if tasks := f.Tasks(); len(tasks) != 4 || slices.Contains(tasks, tg.PID) {
		t.Errorf("Tasks() = %v, want the 4 threads without the leader %d", tasks, tg.PID)
	}
	if !slices.Contains(f.Exited(), tg.PID) {
		t.Errorf("Exited() = %v, want the leader %d", f.Exited(), tg.PID)
	}
	checkStopped(t, tg, f.Tasks())
	if err := f.Thaw(); err != nil {
		t.Fatalf("Thaw: %v", err)
	}
	checkRunning(t, tg)
}

// TestKilledWhileFrozen: the target dies of SIGKILL while frozen. Thaw must
// neither hang nor fail, and the target's parent must be able to reap it.
func TestKilledWhileFrozen(t *testing.T) {
	for _, settle := range []bool{false, true} {
		t.Run(fmt.Sprintf("settled=%v", settle), func(t *testing.T) {
			tg := startTarget(t, 8, 2, time.Millisecond, "run")
			f := freeze(t, tg.PID)
			if err := tg.Cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			if settle {
				proctest.WaitFor(t, 5*time.Second, "every thread dies", func() bool {
					for _, s := range proctest.StatesOf(t, tg.PID) {
						if s != 'Z' && s != 'X' {
							return false
						}
					}
					return true
				})
			}
			within(t, "Thaw", func() {
				if err := f.Thaw(); err != nil {
					t.Errorf("Thaw: %v", err)
				}
			})
			if settle && len(f.Exited()) != len(f.Tasks()) {
				t.Errorf("Exited() = %v, want all of %v", f.Exited(), f.Tasks())
			}
			within(t, "reaping the target", func() {
				if err := tg.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
					t.Errorf("Wait: %v, want signal: killed", err)
				}
			})
		})
	}
}

func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not return in 5 s", what)
	}
}

// TestDroppedFrozenThaws: a Frozen dropped without Thaw is thawed once the
// garbage collector finds it (the tracer thread ends and the kernel detaches).
func TestDroppedFrozenThaws(t *testing.T) {
	tg := startTarget(t, 4, 1, time.Millisecond, "run")
	if _, err := Freeze(context.Background(), tg.PID, nil); err != nil {
		t.Fatal(err)
	}
	checkStopped(t, tg, nil)
	proctest.WaitFor(t, 5*time.Second, "the dropped Frozen is collected", func() bool {
		runtime.GC()
		return !slices.Contains(slices.Collect(maps.Values(proctest.StatesOf(t, tg.PID))), 't')
	})
	checkRunning(t, tg)
}

// TestFreezeCancelled cancels the context between two scans of the task list.
func TestFreezeCancelled(t *testing.T) {
	tg := startTarget(t, 16, 2, time.Millisecond, "run")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	scans := 0
	list := func() ([]int, error) {
		if scans++; scans == 2 {
			cancel() // everything is frozen by now
		}
		return readTasks(tg.PID)
	}
	f, err := Freeze(ctx, tg.PID, list)
	if !errors.Is(err, context.Canceled) || f != nil {
		t.Fatalf("Freeze = %v, %v; want context.Canceled", f, err)
	}
	checkRunning(t, tg)
}

// BenchmarkFreezeThaw200 freezes and thaws a 200-thread target whose threads
// sleep 10 ms between counts.
func BenchmarkFreezeThaw200(b *testing.B) {
	tg := startTarget(b, 199, 0, 10*time.Millisecond, "run")
	var frozen, thawed time.Duration
	threads := 0
	for b.Loop() {
		t0 := time.Now()
		f, err := Freeze(context.Background(), tg.PID, nil)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := f.Thaw(); err != nil {
			b.Fatal(err)
		}
		frozen += t1.Sub(t0)
		thawed += time.Since(t1)
		threads += len(f.Tasks())
	}
	b.ReportMetric(float64(frozen.Nanoseconds())/float64(threads), "freeze-ns/thread")
	b.ReportMetric(float64(thawed.Nanoseconds())/float64(threads), "thaw-ns/thread")
	b.ReportMetric(float64((frozen+thawed).Nanoseconds())/float64(threads), "ns/thread")
}

func TestFreezeRejects(t *testing.T) {
	tg := startTarget(t, 2, 0, time.Millisecond, "run")
	tests := []struct {
		name string
		pid  int
		want string
	}{
		{"no such process", 1<<22 + 1, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Freeze(context.Background(), tt.pid, nil)
			if err == nil {
				f.Thaw()
				t.Fatalf("Freeze(%d) succeeded", tt.pid)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Freeze(%d): %v, want %q", tt.pid, err, tt.want)
			}
		})
	}
	checkRunning(t, tg)
}
