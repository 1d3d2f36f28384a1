package ptrace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/procsnap/procsnap/format"
	"golang.org/x/sys/unix"
)

// regBufSize is the PTRACE_GETREGSET buffer. The largest set, NT_X86_XSTATE,
// is about 11 KiB with AMX; the kernel says how much it filled in.
const regBufSize = 64 << 10

var errThawed = errors.New("process already thawed")

// Frozen is a process whose threads are all stopped under ptrace.
// Its methods are safe for concurrent use. Thaw it on every path.
type Frozen struct {
	pid   int
	tasks []int // frozen tids, leader first
	tr    *tracer
	s     *session // touched only on the tracer thread, under mu

	mu      sync.Mutex
	thawed  bool
	thawErr error
}

// Freeze stops every thread of process pid and keeps it stopped until Thaw.
//
// pid must be a process id (a thread-group leader) other than this
// process's: the caller checks that before it touches the target (capture's
// preflight does, with the message a user needs), and Freeze does not check
// again.
//
// listTasks lists the tids of pid (nil reads /proc/PID/task). Each task is
// seized with PTRACE_SEIZE (PTRACE_O_TRACECLONE, so threads it creates are
// seized too) and stopped with PTRACE_INTERRUPT; the list is scanned again
// until a scan finds no new task. Tasks that exit on the way are skipped and
// reported by Exited.
//
// A task that cannot be seized fails the freeze with a *TaskError naming it:
// errors.Is(err, unix.EPERM) when it is traced already or permission is
// missing. On any error, and when ctx is done (the error is then ctx.Err()),
// Freeze detaches every task it stopped before returning. ctx should carry a
// deadline: a task in uninterruptible sleep does not stop until it wakes.
func Freeze(ctx context.Context, pid int, listTasks func() ([]int, error)) (*Frozen, error) {
	if listTasks == nil {
		listTasks = func() ([]int, error) { return readTasks(pid) }
	}
	tr := newTracer()
	s := newSession(pid)
	var err error
	tr.do(func() {
		if err = s.freeze(ctx, listTasks); err != nil {
			if aerr := s.abort(); aerr != nil {
				err = errors.Join(err, fmt.Errorf("undo freeze of pid %d: %w", pid, aerr))
			}
		}
	})
	if err != nil {
		tr.stop()
		return nil, err
	}
	f := &Frozen{pid: pid, tasks: s.frozen(), tr: tr, s: s}
	// Last resort for a caller that drops f without Thaw: ending the tracer
	// thread makes the kernel detach every task.
	runtime.AddCleanup(f, func(tr *tracer) { tr.stop() }, tr)
	return f, nil
}

// frozen returns the stopped tids, the thread-group leader first.
func (s *session) frozen() []int {
	tids := make([]int, 0, len(s.tasks))
	for tid := range s.tasks {
		tids = append(tids, tid)
	}
	slices.SortFunc(tids, func(a, b int) int {
		switch {
		case a == s.pid:
			return -1
		case b == s.pid:
			return 1
		}
		return a - b
	})
	return tids
}

// Tasks returns the frozen tids, the thread-group leader first (absent if it
// had exited: a zombie leader cannot be traced).
func (f *Frozen) Tasks() []int { return slices.Clone(f.tasks) }

// Exited returns the tids found dead while freezing, and after Thaw also
// those that died while frozen (killed by SIGKILL). If it holds every tid of
// Tasks, the whole process died.
func (f *Frozen) Exited() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.s.exited)
}

// Registers returns the register sets of frozen task tid: NT_PRSTATUS,
// NT_PRFPREG and, where the CPU has XSAVE, NT_X86_XSTATE. The error wraps
// unix.ESRCH if the task was killed while frozen.
func (f *Frozen) Registers(tid int) ([]format.RegSet, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.thawed {
		return nil, fmt.Errorf("registers of %d: %w", tid, errThawed)
	}
	var sets []format.RegSet
	var err error
	f.tr.do(func() { sets, err = f.s.registers(tid) })
	return sets, err
}

// Thaw detaches every frozen task, handing back any signal one was about to
// take, and ends the tracer thread. Tasks that died while frozen are no
// error; they are added to Exited. Errors of single tasks are joined. Thaw is
// idempotent: later calls return the first result.
func (f *Frozen) Thaw() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.thawed {
		return f.thawErr
	}
	f.thawed = true
	var err error
	f.tr.do(func() { err = f.s.detachAll() })
	f.tr.stop()
	if err != nil {
		f.thawErr = fmt.Errorf("thaw pid %d: %w", f.pid, err)
	}
	return f.thawErr
}

// detachAll detaches every stopped task. A task that is no longer in its
// stop has been killed (nothing else resumes a frozen task); tasks that never
// stopped are released when the tracer thread ends.
func (s *session) detachAll() error {
	var errs []error
	for _, tid := range s.frozen() {
		t := s.tasks[tid]
		if !t.stopped {
			continue
		}
		delete(s.tasks, tid)
		err := ptrace(unix.PTRACE_DETACH, tid, 0, uintptr(t.sig))
		switch {
		case errors.Is(err, unix.ESRCH):
			s.exited = append(s.exited, tid)
		case err != nil:
			errs = append(errs, &TaskError{Op: "detach", Tid: tid, Err: err})
		}
	}
	return errors.Join(errs...)
}

var regSets = []struct {
	typ      uint32
	name     string
	optional bool
}{
	{format.NTPrstatus, "NT_PRSTATUS", false},
	{format.NTPrfpreg, "NT_PRFPREG", false},
	{format.NTX86Xstate, "NT_X86_XSTATE", true}, // absent without XSAVE
}

func (s *session) registers(tid int) ([]format.RegSet, error) {
	if t, ok := s.tasks[tid]; !ok || !t.stopped {
		return nil, fmt.Errorf("registers of %d: not a frozen task of pid %d", tid, s.pid)
	}
	if s.regBuf == nil {
		s.regBuf = make([]byte, regBufSize)
	}
	sets := make([]format.RegSet, 0, len(regSets))
	for _, rs := range regSets {
		n, err := getRegSet(tid, rs.typ, s.regBuf)
		if rs.optional && (errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EINVAL)) {
			continue
		}
		if err != nil {
			return nil, &TaskError{Op: "getregset " + rs.name, Tid: tid, Err: err}
		}
		sets = append(sets, format.RegSet{Type: rs.typ, Data: bytes.Clone(s.regBuf[:n])})
	}
	return sets, nil
}
