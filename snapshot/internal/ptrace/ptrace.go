package ptrace

import (
	"fmt"
)

// TaskError reports a ptrace request that failed for one task.
// errors.Is(err, unix.EPERM) on it means the task could not be traced (see
// Detail); unix.ESRCH means the task is gone.
type TaskError struct {
	Op     string // "seize", "interrupt", "wait", "detach", "getregset", ...
	Tid    int
	Err    error
	Detail string // the likely cause and what to check; may be empty
	Tracer int    // a failed seize: the process that traces the task already, 0 if none
}

func (e *TaskError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s %d: %v (%s)", e.Op, e.Tid, e.Err, e.Detail)
	}
	return fmt.Sprintf("%s %d: %v", e.Op, e.Tid, e.Err)
}

func (e *TaskError) Unwrap() error { return e.Err }
