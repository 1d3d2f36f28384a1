package procfs

import (
	"strings"
)

// Stat holds the fields of /proc/PID/stat that capture uses.
type Stat struct {
	Pid       int
	Comm      string // the command name between the parentheses, raw: spaces, ')' and all
	State     byte   // R, S, D, T, t, X, Z, P or I
	PPid      int
	Flags     uint64 // the kernel's PF_* flags of the task (PF_KTHREAD: a kernel thread)
	Threads   int    // num_threads
	StartTime uint64 // clock ticks (USER_HZ, 100 on x86-64) after boot at which it started
}

// Stat reads and parses /proc/PID/stat.
func (fs FS) Stat(pid int) (Stat, error) {
	return readStat(fs.pidPath(pid, "stat"))
}

// TaskStat reads and parses /proc/PID/task/TID/stat, the stat of one thread.
func (fs FS) TaskStat(pid, tid int) (Stat, error) {
	return readStat(fs.taskPath(pid, tid, "stat"))
}

// StatState returns the state letter of process pid from /proc/PID/stat: 'Z' for a zombie,
// 'T' for a stopped process, 't' for one stopped by its tracer.
func (fs FS) StatState(pid int) (byte, error) {
	st, err := fs.Stat(pid)
	return st.State, err
}

// pfKthread is PF_KTHREAD of include/linux/sched.h.
const pfKthread = 0x00200000

// KernelThread reports whether the task is a kernel thread: it has no
// memory of its own and no command line.
func (s Stat) KernelThread() bool { return s.Flags&pfKthread != 0 }

func readStat(path string) (Stat, error) {
	raw, err := readBounded(path, maxSmall)
	if err != nil {
		return Stat{}, err
	}
	st, err := parseStat(string(raw))
	return st, withFile(err, path)
}

// Field positions after the command name: proc(5) numbers the fields from 1, and the name is
// field 2, so field k is at index k-2 of the space-separated text after the last ')'.
const (
	statState     = 3 - 2
	statPPid      = 4 - 2
	statFlags     = 9 - 2
	statThreads   = 20 - 2
	statStartTime = 22 - 2
)

// parseStat parses the text of a stat file. The command name may hold spaces, parentheses
// and even newlines, so it runs from the first '(' to the LAST ')'.
func parseStat(text string) (Stat, error) {
	fail := func(reason string) (Stat, error) {
		return Stat{}, &ParseError{Line: 1, Text: text, Reason: reason}
	}
	if text == "" {
		return fail("empty file")
	}
	if !strings.HasSuffix(text, "\n") {
		return fail("no newline at end of file (truncated read?)")
	}
	body := text[:len(text)-1]
	open, end := strings.IndexByte(body, '('), strings.LastIndexByte(body, ')')
	if open < 2 || end < open || body[open-1] != ' ' {
		return fail("no \"pid (comm)\" at the start")
	}
	var st Stat
	var ok bool
	if st.Pid, ok = parseInt(body[:open-1]); !ok {
		return fail("pid is not a decimal number")
	}
	st.Comm = body[open+1 : end]
	f := strings.Split(body[end+1:], " ")
	if len(f) <= statStartTime || f[0] != "" {
		return fail("fewer than 22 fields")
	}
	if len(f[statState]) != 1 || !isStateLetter(f[statState][0]) {
		return fail("state is not one letter")
	}
	st.State = f[statState][0]
	st.PPid, ok = parseInt(f[statPPid])
	if !ok {
		return fail("ppid is not a decimal number")
	}
	if st.Flags, ok = parseDecField(f[statFlags]); !ok {
		return fail("flags is not a decimal number")
	}
	if st.Threads, ok = parseInt(f[statThreads]); !ok {
		return fail("num_threads is not a decimal number")
	}
	if st.StartTime, ok = parseDecField(f[statStartTime]); !ok {
		return fail("starttime is not a decimal number")
	}
	return st, nil
}
