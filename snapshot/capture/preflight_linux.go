package capture

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/procsnap/procsnap/procfs"
	"github.com/procsnap/procsnap/snapshot/internal/ptrace"
	"golang.org/x/sys/unix"
)

const capSysPtrace = 19

// preflight checks, before touching the target, that it exists and can be
// traced, and says exactly why not and what to do when it cannot.
func preflight(pfs procfs.FS, pid int) (procfs.Status, error) {
	if pid <= 0 {
		return procfs.Status{}, fmt.Errorf("PID %d is not a process id", pid)
	}
	if pid == os.Getpid() {
		return procfs.Status{}, fmt.Errorf("PID %d is procsnap itself: run procsnap from another process", pid)
	}
	st, err := pfs.Status(pid)
	if errors.Is(err, fs.ErrNotExist) {
		return st, fmt.Errorf("no process with PID %d (check the PID, and that procsnap runs in the target's PID namespace)", pid)
	}
	if err != nil {
		return st, fmt.Errorf("read status of PID %d: %w", pid, err)
	}
	if st.Tgid != pid {
		return st, fmt.Errorf("PID %d is a thread of process %d: capture the process (PID %d)", pid, st.Tgid, st.Tgid)
	}
	switch st.State {
	case 'Z', 'X':
		return st, fmt.Errorf("PID %d is a zombie (%c): it has no memory left to capture", pid, st.State)
	}
	if st.TracerPid != 0 {
		return st, alreadyTraced(pfs, pid, pid, pfs.TracerProcess(st))
	}
	if err := threadTraced(pfs, pid); err != nil {
		return st, err
	}
	if err := permitted(pfs, st); err != nil {
		return st, fmt.Errorf("cannot trace PID %d: %w", pid, err)
	}
	return st, nil
}

// threadTraced refuses a target one of whose threads another tracer holds
// (strace -p TID): the freeze would fail after the pre-copy.
func threadTraced(pfs procfs.FS, pid int) error {
	tids, err := pfs.Tasks(pid)
	if err != nil {
		return nil // the freeze will tell
	}
	for _, tid := range tids {
		if tracer, err := pfs.Tracer(pid, tid); err == nil && tracer != 0 {
			return alreadyTraced(pfs, pid, tid, tracer)
		}
	}
	return nil
}

// alreadyTraced names the process that traces thread tid of process pid
// (the process itself when tid is pid).
func alreadyTraced(pfs procfs.FS, pid, tid, tracer int) error {
	name := "?"
	if c, err := pfs.Comm(tracer); err == nil {
		name = c
	}
	err := fmt.Errorf("PID %d is already traced by PID %d (%s): a process has one tracer at a time; detach that debugger or tracer and retry", pid, tracer, name)
	if tid != pid {
		return fmt.Errorf("thread %d of %w", tid, err)
	}
	return err
}

// permitted explains why this process may not ptrace the target, if it
// may not: it needs root or CAP_SYS_PTRACE, or the target's uids, and yama
// may forbid even that.
func permitted(pfs procfs.FS, target procfs.Status) error {
	self, err := pfs.Status(os.Getpid())
	if err != nil {
		return nil // cannot tell: let the attach itself decide
	}
	if self.CapEff&(1<<capSysPtrace) != 0 {
		return nil
	}
	euid := self.Uid[1]
	for _, u := range target.Uid[:3] {
		if u != euid {
			return fmt.Errorf("operation not permitted: the target runs as uid %d and procsnap as uid %d (run procsnap as root, or with CAP_SYS_PTRACE)", target.Uid[0], euid)
		}
	}
	if scope, err := pfs.PtraceScope(); err == nil && scope >= 1 {
		return fmt.Errorf("operation not permitted: /proc/sys/kernel/yama/ptrace_scope is %d, which allows only a parent to trace its child (run procsnap as root or with CAP_SYS_PTRACE, or set ptrace_scope to 0)", scope)
	}
	return nil
}

// exited reports whether process pid is gone or a zombie, within 200 ms:
// an exiting process's maps read as empty (or not at all) a moment before
// it becomes a zombie, and a kernel thread's always do.
func exited(pfs procfs.FS, pid int) bool {
	for deadline := time.Now().Add(200 * time.Millisecond); ; time.Sleep(5 * time.Millisecond) {
		st, err := pfs.Status(pid)
		if errors.Is(err, fs.ErrNotExist) || err == nil && (st.State == 'Z' || st.State == 'X') {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// explainAttach turns a failed freeze into a message with the cause.
// ptrace's errors already name the pid ("freeze pid N: …").
func explainAttach(pfs procfs.FS, pid int, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ESRCH) {
		if _, serr := pfs.Status(pid); errors.Is(serr, fs.ErrNotExist) {
			return fmt.Errorf("PID %d exited before it could be frozen: nothing was captured", pid)
		}
	}
	if !errors.Is(err, unix.EPERM) {
		return err
	}
	// The tracer found the task's tracer when the seize failed: the
	// process, or one of its threads (strace -p TID).
	var te *ptrace.TaskError
	if errors.As(err, &te) && te.Tracer != 0 {
		return alreadyTraced(pfs, pid, te.Tid, te.Tracer)
	}
	if st, serr := pfs.Status(pid); serr == nil {
		if perr := permitted(pfs, st); perr != nil {
			return fmt.Errorf("freeze PID %d: %w", pid, perr)
		}
	}
	return fmt.Errorf("freeze PID %d: %w (needs root or CAP_SYS_PTRACE; a seccomp or LSM policy may also forbid ptrace)", pid, err)
}
