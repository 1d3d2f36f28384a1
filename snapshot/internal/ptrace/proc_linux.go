package ptrace

import (
	"github.com/procsnap/procsnap/procfs"
)

// What the tracer must know of /proc while it freezes (the task list, a
// task's state, whether a clone is a thread, who traces a task) it asks
// package procfs: these reads may run on any thread, and run on the tracer
// thread only because they fall between its requests.

// readTasks lists the threads of pid: Freeze's default task list.
func readTasks(pid int) ([]int, error) {
	return procfs.Default().Tasks(pid)
}

// dead reports whether a task has exited: gone from /proc, or a zombie or
// dead task waiting to be reaped.
func dead(pid, tid int) bool {
	st, err := procfs.Default().TaskStat(pid, tid)
	if err != nil {
		return true
	}
	switch st.State {
	case 'Z', 'X', 'x':
		return true
	}
	return false
}
