package procfs

import (
	"fmt"
	"strings"
)

// Status holds the fields of /proc/PID/status that capture uses.
type Status struct {
	Name      string    // the command name, with the kernel's escapes ("\n", "\\") as printed
	State     byte      // R, S, D, T, t, X, Z, P or I
	Tgid      int       // thread group id: the process id
	Pid       int       // the thread id; equal to Tgid for the main thread
	PPid      int       // parent's process id
	TracerPid int       // process id of the ptrace tracer, 0 when not traced
	Uid       [4]uint32 // real, effective, saved set, filesystem
	Gid       [4]uint32 // real, effective, saved set, filesystem
	Threads   int       // number of threads in the process
	Seccomp   int       // 0 off, 1 strict, 2 filter (also 0 before Linux 3.8, which lacks the line)
	NSpid     []int     // the id in each pid namespace, outermost first (nil before Linux 4.1)
	CapEff    uint64    // effective capabilities
}

// statusField is one line of status that Status holds.
type statusField struct {
	key      string
	required bool // printed by every kernel capture supports
	parse    func(st *Status, val string) bool
}

var statusFields = []statusField{
	{"Name", true, func(st *Status, v string) bool { st.Name = v; return true }},
	{"State", true, func(st *Status, v string) bool {
		if v == "" {
			return false
		}
		st.State = v[0] // "S (sleeping)"
		return isStateLetter(v[0])
	}},
	{"Tgid", true, intField(func(st *Status) *int { return &st.Tgid })},
	{"Pid", true, intField(func(st *Status) *int { return &st.Pid })},
	{"PPid", true, intField(func(st *Status) *int { return &st.PPid })},
	{"TracerPid", true, intField(func(st *Status) *int { return &st.TracerPid })},
	{"Uid", true, func(st *Status, v string) bool { return parseIDs(v, &st.Uid) }},
	{"Gid", true, func(st *Status, v string) bool { return parseIDs(v, &st.Gid) }},
	{"Threads", true, intField(func(st *Status) *int { return &st.Threads })},
	{"Seccomp", false, intField(func(st *Status) *int { return &st.Seccomp })},
	{"NSpid", false, func(st *Status, v string) bool {
		st.NSpid = st.NSpid[:0]
		for s := range strings.SplitSeq(v, "\t") {
			id, ok := parseInt(s)
			if !ok {
				return false
			}
			st.NSpid = append(st.NSpid, id)
		}
		return true
	}},
	{"CapEff", true, func(st *Status, v string) bool {
		var ok bool
		st.CapEff, ok = parseHexField(v, 16, 64)
		return ok && len(v) == 16
	}},
}

// Status reads and parses /proc/PID/status.
func (fs FS) Status(pid int) (Status, error) {
	return readStatus(fs.pidPath(pid, "status"))
}

// TaskStatus reads and parses /proc/PID/task/TID/status, the status of one thread.
func (fs FS) TaskStatus(pid, tid int) (Status, error) {
	return readStatus(fs.taskPath(pid, tid, "status"))
}

// Tracer returns the process that traces thread tid of process pid, 0 when none: the
// TracerProcess of the thread's status.
func (fs FS) Tracer(pid, tid int) (int, error) {
	st, err := fs.TaskStatus(pid, tid)
	if err != nil {
		return 0, err
	}
	return fs.TracerProcess(st), nil
}

// TracerProcess returns the process of the tracer that st names, 0 when none. TracerPid is
// the id of the tracing thread, which need not be its process's leader; that thread's Tgid is
// the process. TracerPid itself is returned when its status cannot be read (the tracer is gone).
func (fs FS) TracerProcess(st Status) int {
	if st.TracerPid == 0 {
		return 0
	}
	if t, err := fs.Status(st.TracerPid); err == nil && t.Tgid > 0 {
		return t.Tgid
	}
	return st.TracerPid
}

// PeakRSS returns the peak resident set size of process pid in bytes: VmHWM of its status,
// since the start or the last ResetPeakRSS. A kernel thread has none: 0.
func (fs FS) PeakRSS(pid int) (int64, error) {
	path := fs.pidPath(pid, "status")
	raw, err := readBounded(path, maxSmall)
	if err != nil {
		return 0, err
	}
	n, err := parseVmHWM(string(raw))
	return n, withFile(err, path)
}

// parseVmHWM finds the "VmHWM:\t   N kB" line of a status text.
func parseVmHWM(text string) (int64, error) {
	val, line, n, ok := findLine(text, "VmHWM:")
	if !ok {
		return 0, nil
	}
	bytes, ok := parseKB(val)
	if !ok {
		return 0, &ParseError{Line: n, Text: line, Reason: "VmHWM is not a number of kB"}
	}
	return bytes, nil
}

func readStatus(path string) (Status, error) {
	raw, err := readBounded(path, maxSmall)
	if err != nil {
		return Status{}, err
	}
	st, err := parseStatus(string(raw))
	return st, withFile(err, path)
}

// parseStatus parses the text of a status file. Lines it does not hold are skipped, but each
// must be "Key:value"; a field Status holds must parse, appear once, and if required, appear.
func parseStatus(text string) (Status, error) {
	var st Status
	seen := make([]bool, len(statusFields))
	err := eachKeyLine(text, func(key, val string) string {
		i := statusFieldIndex(key)
		if i < 0 {
			return ""
		}
		if seen[i] || !statusFields[i].parse(&st, strings.TrimPrefix(val, "\t")) {
			return "bad or repeated " + key + " line"
		}
		seen[i] = true
		return ""
	})
	if err != nil {
		return Status{}, err
	}
	for i, f := range statusFields {
		if f.required && !seen[i] {
			return Status{}, &ParseError{Reason: fmt.Sprintf("no %s line", f.key)}
		}
	}
	return st, nil
}

func statusFieldIndex(key string) int {
	for i := range statusFields {
		if statusFields[i].key == key {
			return i
		}
	}
	return -1
}

// intField returns a parser that stores a non-negative decimal in the field field selects.
func intField(field func(*Status) *int) func(*Status, string) bool {
	return func(st *Status, v string) bool {
		n, ok := parseInt(v)
		*field(st) = n
		return ok
	}
}

// parseIDs parses the four tab-separated ids of a Uid or Gid line.
func parseIDs(v string, ids *[4]uint32) bool {
	parts := strings.Split(v, "\t")
	if len(parts) != len(ids) {
		return false
	}
	for i, p := range parts {
		id, ok := parseDecField(p)
		if !ok || id > 1<<32-1 {
			return false
		}
		ids[i] = uint32(id)
	}
	return true
}

// isStateLetter reports whether c can be a task state letter (R, S, D, T, t, ...).
func isStateLetter(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

// parseInt parses a non-negative decimal below 2^31, as the kernel prints ids and counts.
func parseInt(s string) (int, bool) {
	v, ok := parseDecField(s)
	if !ok || v > 1<<31-1 {
		return 0, false
	}
	return int(v), true
}
