package ptrace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/procsnap/procsnap/procfs"
	"golang.org/x/sys/unix"
)

const (
	// maxPasses bounds the task-list rescans: a process that still makes new
	// threads after this many scans is not frozen (CRIU gives up after 5).
	maxPasses = 10
	// Polling of wait4: the delay between empty polls doubles up to
	// maxPollDelay; at that delay pending tasks are also checked for death,
	// since wait4 never reports a zombie thread-group leader.
	minPollDelay = 10 * time.Microsecond
	maxPollDelay = time.Millisecond
	// abortWait is how long a failed Freeze waits for interrupted tasks to
	// stop so that it can detach them cleanly. Tasks that take longer are
	// released when the tracer thread ends.
	abortWait = 250 * time.Millisecond
)

// session is the bookkeeping of one freeze. Only the tracer thread touches it.
type session struct {
	pid    int
	tasks  map[int]*task // seized tasks, alive as far as we know
	seen   map[int]bool  // every tid listed or cloned so far
	exited []int         // tids found dead while freezing or thawing
	regBuf []byte        // PTRACE_GETREGSET buffer, allocated on first use
}

type task struct {
	tid     int
	stopped bool        // in a ptrace-stop: frozen until detached
	sig     unix.Signal // signal of a signal-delivery-stop, delivered at detach
	foreign bool        // a clone outside the thread group: released once stopped
}

func newSession(pid int) *session {
	return &session{pid: pid, tasks: make(map[int]*task), seen: make(map[int]bool)}
}

// freeze seizes and stops every task of the process, scanning the task list
// until a scan finds no task it has not seen.
func (s *session) freeze(ctx context.Context, list func() ([]int, error)) error {
	for range maxPasses {
		tids, err := list()
		if err != nil {
			return fmt.Errorf("freeze pid %d: list tasks: %w", s.pid, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fresh, err := s.seizeNew(ctx, tids)
		if err != nil {
			return err
		}
		if err := s.waitStops(ctx); err != nil {
			return err
		}
		if !fresh {
			if len(s.tasks) == 0 {
				return fmt.Errorf("freeze pid %d: every task exited: %w", s.pid, unix.ESRCH)
			}
			return nil
		}
	}
	return fmt.Errorf("freeze pid %d: new threads still appearing after %d scans", s.pid, maxPasses)
}

// seizeNew seizes the tids not seen before and reports whether there were any.
func (s *session) seizeNew(ctx context.Context, tids []int) (fresh bool, err error) {
	for _, tid := range tids {
		if s.seen[tid] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fresh, err
		}
		fresh = true
		s.seen[tid] = true
		if err := s.seize(tid); err != nil {
			return fresh, err
		}
	}
	return fresh, nil
}

// seize seizes tid and asks it to stop. The stop is collected by waitStops.
func (s *session) seize(tid int) error {
	err := ptrace(unix.PTRACE_SEIZE, tid, 0, unix.PTRACE_O_TRACECLONE)
	switch {
	case errors.Is(err, unix.ESRCH):
		s.gone(tid)
		return nil
	case errors.Is(err, unix.EPERM):
		return s.seizeDenied(tid, err)
	case err != nil:
		return &TaskError{Op: "seize", Tid: tid, Err: err}
	}
	s.tasks[tid] = &task{tid: tid}
	// ESRCH here means the task died after the seize; waitStops sees it.
	if err := ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		return &TaskError{Op: "interrupt", Tid: tid, Err: err}
	}
	return nil
}

// seizeDenied explains an EPERM from PTRACE_SEIZE. The kernel also refuses to
// seize an exited task (a zombie thread-group leader stays listed as long as
// other threads live): that one is skipped.
func (s *session) seizeDenied(tid int, err error) error {
	if dead(s.pid, tid) {
		s.gone(tid)
		return nil
	}
	detail := "needs root or CAP_SYS_PTRACE; see /proc/sys/kernel/yama/ptrace_scope"
	tp, _ := procfs.Default().Tracer(s.pid, tid)
	switch {
	case tp == os.Getpid():
		detail = "already traced by this process"
	case tp != 0:
		detail = fmt.Sprintf("already traced by pid %d", tp)
	}
	return &TaskError{Op: "seize", Tid: tid, Err: err, Detail: detail, Tracer: tp}
}

// waitStops waits until every seized task is stopped or gone.
func (s *session) waitStops(ctx context.Context) error {
	var delay time.Duration
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		pending := s.pending()
		if len(pending) == 0 {
			return nil
		}
		progressed := false
		for _, t := range pending {
			done, err := s.poll(t)
			if err != nil {
				return err
			}
			progressed = progressed || done
		}
		if progressed {
			delay = 0
			continue
		}
		if delay == maxPollDelay {
			s.dropDead(pending)
		}
		delay = min(max(2*delay, minPollDelay), maxPollDelay)
		time.Sleep(delay)
	}
}

func (s *session) pending() []*task {
	var p []*task
	for _, t := range s.tasks {
		if !t.stopped {
			p = append(p, t)
		}
	}
	return p
}

// poll collects one wait status of t, if there is one, and reports whether
// there was. wait4 only ever names a tid: waiting for any child could reap
// children that are not ours to reap.
func (s *session) poll(t *task) (bool, error) {
	var ws unix.WaitStatus
	wpid, err := unix.Wait4(t.tid, &ws, unix.WNOHANG|unix.WALL, nil)
	switch {
	case errors.Is(err, unix.EINTR), err == nil && wpid == 0:
		return false, nil
	case errors.Is(err, unix.ECHILD): // exited and reaped: no longer ours
		s.gone(t.tid)
		return true, nil
	case err != nil:
		return false, &TaskError{Op: "wait", Tid: t.tid, Err: err}
	}
	return true, s.onStatus(t, ws)
}

func (s *session) onStatus(t *task, ws unix.WaitStatus) error {
	if ws.Exited() || ws.Signaled() {
		s.gone(t.tid)
		return nil
	}
	if !ws.Stopped() {
		return nil
	}
	t.stopped = true
	switch event := int(ws >> 16); event {
	case 0:
		// Signal-delivery-stop: the task took a signal off its queue before
		// our interrupt. It stays frozen right here, and detaching with the
		// signal delivers it. (Resuming it to reach the interrupt stop would
		// lose the signal: detach from an event stop ignores its signal.)
		t.sig = ws.StopSignal()
	case unix.PTRACE_EVENT_CLONE:
		// Stopped at the clone event, not at our interrupt: frozen all the
		// same. The new task is already seized and starts with a stop.
		if err := s.adoptClone(t.tid); err != nil {
			return err
		}
	}
	// PTRACE_EVENT_STOP is our interrupt, or a group-stop of an already
	// stopped process: detach leaves the latter stopped.
	if t.foreign {
		return s.release(t)
	}
	return nil
}

// adoptClone records the task that parent just cloned.
func (s *session) adoptClone(parent int) error {
	msg, err := unix.PtraceGetEventMsg(parent)
	if err != nil {
		return &TaskError{Op: "geteventmsg", Tid: parent, Err: err}
	}
	tid := int(msg)
	if _, ok := s.tasks[tid]; ok {
		return nil
	}
	s.seen[tid] = true
	// A clone without CLONE_THREAD and with no exit signal is reported as a
	// clone too, but it is another process: it is let go once stopped.
	s.tasks[tid] = &task{tid: tid, foreign: !procfs.Default().HasTask(s.pid, tid)}
	return nil
}

// release detaches a stopped task that is not part of the freeze.
func (s *session) release(t *task) error {
	delete(s.tasks, t.tid)
	if err := ptrace(unix.PTRACE_DETACH, t.tid, 0, uintptr(t.sig)); err != nil && !errors.Is(err, unix.ESRCH) {
		return &TaskError{Op: "detach", Tid: t.tid, Err: err}
	}
	return nil
}

// dropDead forgets pending tasks that have exited without a wait status
// (a zombie thread-group leader). The tracer thread's end releases them.
func (s *session) dropDead(pending []*task) {
	for _, t := range pending {
		if dead(s.pid, t.tid) {
			s.gone(t.tid)
		}
	}
}

func (s *session) gone(tid int) {
	delete(s.tasks, tid)
	s.exited = append(s.exited, tid)
}

// abort undoes a failed freeze: it gives interrupted tasks a moment to stop,
// so that pending signals are handed back, and detaches every stopped task.
func (s *session) abort() error {
	ctx, cancel := context.WithTimeout(context.Background(), abortWait)
	defer cancel()
	_ = s.waitStops(ctx) // whatever is still running is released with the tracer thread
	return s.detachAll()
}
