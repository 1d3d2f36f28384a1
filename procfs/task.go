package procfs

import (
	"os"
	"slices"
)

// Tasks returns the thread ids of process pid, from the entries of /proc/PID/task, in
// ascending order. Threads come and go unless the process is frozen.
func (fs FS) Tasks(pid int) ([]int, error) {
	dir := fs.pidPath(pid, "task")
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	tids := make([]int, 0, len(names))
	for _, name := range names {
		tid, ok := parseInt(name)
		if !ok {
			return nil, &ParseError{File: dir, Text: name, Reason: "task entry is not a thread id"}
		}
		tids = append(tids, tid)
	}
	slices.Sort(tids)
	return tids, nil
}

// HasTask reports whether tid is a thread of process pid: /proc/PID/task/TID exists.
func (fs FS) HasTask(pid, tid int) bool {
	_, err := os.Stat(fs.taskPath(pid, tid, ""))
	return err == nil
}
