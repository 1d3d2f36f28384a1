package proctest

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/procfs"
)

// States maps each task (thread id) of a process to the state letter of its
// stat file: R, S, D, T (stopped by a signal), t (stopped by its tracer),
// Z, X, ...
type States map[int]byte

// ReadStates reads the state of every task of pid through procfs. A task
// that exits while they are read is left out; the error is that of the task
// list (the process is gone) or of a stat file procfs cannot parse.
func ReadStates(pid int) (States, error) {
	tids, err := procfs.Default().Tasks(pid)
	if err != nil {
		return nil, err
	}
	st := make(States, len(tids))
	for _, tid := range tids {
		s, err := procfs.Default().TaskStat(pid, tid)
		if err != nil && !gone(pid, tid, err) {
			return nil, err
		}
		if err == nil {
			st[tid] = s.State
		}
	}
	return st, nil
}

// gone reports whether the error of reading task tid's stat is that it
// exited since the listing.
func gone(pid, tid int, err error) bool {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return true
	}
	tids, lerr := procfs.Default().Tasks(pid)
	return lerr != nil || !slices.Contains(tids, tid)
}

// StatesOf is ReadStates, failing tb on an error.
func StatesOf(tb testing.TB, pid int) States {
	tb.Helper()
	st, err := ReadStates(pid)
	if err != nil {
		tb.Fatalf("the tasks of PID %d: %v", pid, err)
	}
	return st
}

// All reports whether there is a task and every task is in state want.
func (s States) All(want byte) bool {
	for _, c := range s {
		if c != want {
			return false
		}
	}
	return len(s) > 0
}

// Stopped lists the tasks in a stop, by a signal (T) or by a tracer (t).
func (s States) Stopped() []int {
	var tids []int
	for tid, c := range s {
		if c == 'T' || c == 't' {
			tids = append(tids, tid)
		}
	}
	slices.Sort(tids)
	return tids
}

// String lists the tasks as "TID:STATE", in the order of their ids.
func (s States) String() string {
	var b strings.Builder
	for i, tid := range slices.Sorted(maps.Keys(s)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:%c", tid, s[tid])
	}
	return b.String()
}

// CheckNotStopped fails tb (Errorf) for each task of pid in a stop.
func CheckNotStopped(tb testing.TB, pid int) {
	tb.Helper()
	st := StatesOf(tb, pid)
	for _, tid := range st.Stopped() {
		tb.Errorf("task %d of PID %d is in state %c, want it running", tid, pid, st[tid])
	}
}

// WaitAll waits up to 10 s until every task of pid is in state want.
func WaitAll(tb testing.TB, pid int, want byte) {
	tb.Helper()
	var st States
	if !poll(10*time.Second, func() bool { st = StatesOf(tb, pid); return st.All(want) }) {
		tb.Fatalf("after 10 s the tasks of PID %d are %v, want all %c", pid, st, want)
	}
}

// Suspend stops pid with SIGSTOP and waits until every task is stopped. It
// gets SIGCONT when tb ends.
func Suspend(tb testing.TB, pid int) {
	tb.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		tb.Fatalf("SIGSTOP %d: %v", pid, err)
	}
	tb.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })
	WaitAll(tb, pid, 'T')
}

// ProcState is the state letter of process pid (its /proc/PID/stat), 0 if
// it cannot be read (the process is gone).
func ProcState(pid int) byte {
	st, err := procfs.Default().StatState(pid)
	if err != nil {
		return 0
	}
	return st
}

// Children lists the processes whose parent is pid.
func Children(pid int) ([]int, error) {
	pids, err := procfs.Default().PIDs()
	if err != nil {
		return nil, err
	}
	var kids []int
	for _, p := range pids {
		if st, err := procfs.Default().Stat(p); err == nil && st.PPid == pid {
			kids = append(kids, p)
		}
	}
	return kids, nil
}

// WaitFor polls cond every 2 ms until it holds, failing tb after timeout
// with what it waited for.
func WaitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	if !poll(timeout, cond) {
		tb.Fatalf("after %v: %s", timeout, what)
	}
}

// poll polls cond every 2 ms until it holds (true) or timeout passes.
func poll(timeout time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}
