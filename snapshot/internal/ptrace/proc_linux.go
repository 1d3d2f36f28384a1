package ptrace

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// The few /proc reads the tracer needs on its own: the default task list, a
// task's state letter, and who traces it.

// readTasks lists /proc/PID/task.
func readTasks(pid int) ([]int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, err
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// taskState returns the state letter of /proc/PID/task/TID/stat ('R', 'S',
// 't', 'Z', ...), or 0 if the task is gone or the file cannot be parsed.
func taskState(pid, tid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/stat", pid, tid))
	if err != nil {
		return 0
	}
	// "tid (comm) S ...": comm may hold spaces and parentheses, so look for
	// the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// dead reports whether a task has exited: gone from /proc, or a zombie or
// dead task waiting to be reaped.
func dead(pid, tid int) bool {
	switch taskState(pid, tid) {
	case 0, 'Z', 'X', 'x':
		return true
	}
	return false
}

// isTask reports whether tid is a thread of process pid.
func isTask(pid, tid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d/task/%d", pid, tid))
	return err == nil
}

// tracerPid returns the process that traces task tid of pid, or 0.
// TracerPid names the tracing thread; its Tgid is the process.
func tracerPid(pid, tid int) int {
	tracer := statusField(fmt.Sprintf("/proc/%d/task/%d/status", pid, tid), "TracerPid:")
	if tracer == 0 {
		return 0
	}
	if tgid := statusField(fmt.Sprintf("/proc/%d/status", tracer), "Tgid:"); tgid != 0 {
		return tgid
	}
	return tracer
}

// statusField returns the number after key in a /proc status file, or 0.
func statusField(path, key string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte(key)); ok {
			n, _ := strconv.Atoi(string(bytes.TrimSpace(v)))
			return n
		}
	}
	return 0
}
