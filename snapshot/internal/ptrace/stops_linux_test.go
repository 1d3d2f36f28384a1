package ptrace

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
	"golang.org/x/sys/unix"
)

// Tests of the two stops that Freeze meets only in a narrow window between
// PTRACE_SEIZE and PTRACE_INTERRUPT; they drive the session directly to
// open that window.

// TestSignalKeptAtDetach: a task in a signal-delivery-stop stays frozen
// there, and detach delivers the signal.
func TestSignalKeptAtDetach(t *testing.T) {
	tg := startTarget(t, 2, 0, time.Millisecond, "run")
	tids, _ := readTasks(tg.PID)
	tid := slices.Max(tids)
	tr := newTracer()
	defer tr.stop()
	s := newSession(tg.PID)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	tr.do(func() {
		// The order Freeze uses, with the signal arriving between seize
		// and interrupt.
		if err = ptrace(unix.PTRACE_SEIZE, tid, 0, unix.PTRACE_O_TRACECLONE); err != nil {
			return
		}
		s.tasks[tid] = &task{tid: tid}
		if err = unix.Tgkill(tg.PID, tid, unix.SIGUSR1); err != nil {
			return
		}
		if err = s.waitStops(ctx); err != nil {
			return
		}
		err = ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	if sig := s.tasks[tid].sig; sig != unix.SIGUSR1 {
		t.Fatalf("kept signal %v, want SIGUSR1", sig)
	}
	time.Sleep(20 * time.Millisecond)
	if n := tg.counters(t)[0]; n != 0 {
		t.Fatalf("handler ran %d times while frozen", n)
	}
	tr.do(func() { err = s.detachAll() })
	if err != nil {
		t.Fatal(err)
	}
	proctest.WaitFor(t, 5*time.Second, "the handler runs once", func() bool { return tg.counters(t)[0] == 1 })
	checkRunning(t, tg)
}

// TestCloneEventFollowed: a seized thread that creates a thread stops at the
// clone event, and the new thread, seized by the kernel, is frozen too.
func TestCloneEventFollowed(t *testing.T) {
	tg := startTarget(t, 0, 0, time.Millisecond, "spawn") // the leader and two spawners
	before, _ := readTasks(tg.PID)
	tr := newTracer()
	defer tr.stop()
	s := newSession(tg.PID)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	tr.do(func() {
		for _, tid := range before {
			if tid == tg.PID {
				continue // sleeps in pause(): it would never stop
			}
			if ptrace(unix.PTRACE_SEIZE, tid, 0, unix.PTRACE_O_TRACECLONE) == nil {
				s.seen[tid] = true
				s.tasks[tid] = &task{tid: tid}
			}
		}
		err = s.waitStops(ctx) // no interrupt: only clone events stop them
	})
	if err != nil {
		t.Fatal(err)
	}
	var cloned []int
	for tid, tk := range s.tasks {
		if !tk.stopped {
			t.Errorf("task %d is not stopped", tid)
		}
		if !slices.Contains(before, tid) {
			cloned = append(cloned, tid)
		}
	}
	if len(cloned) == 0 {
		t.Fatalf("no cloned thread was followed; tasks %v", s.frozen())
	}
	for _, tid := range cloned {
		if st := proctest.StatesOf(t, tg.PID)[tid]; st != 't' {
			t.Errorf("cloned thread %d is in state %c, want t", tid, st)
		}
	}
	tr.do(func() { err = s.detachAll() })
	if err != nil {
		t.Fatal(err)
	}
	checkRunning(t, tg)
}
