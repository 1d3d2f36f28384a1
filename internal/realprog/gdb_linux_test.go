package realprog

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var (
	// gdbThread matches a row of "info threads"; the first group is "*"
	// for the current thread, the second the LWP.
	gdbThread = regexp.MustCompile(`(?m)^([ *])\s*\d+\s+(?:Thread 0x[0-9a-f]+ \()?LWP (\d+)`)
	// gdbFrame matches a frame of "bt"; the group is the function.
	gdbFrame = regexp.MustCompile(`(?m)^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(`)
)

// checkCore exports the archive as a core and opens it in gdb with the
// executable the archive names: gdb must list exactly the archive's
// threads, start on the main thread, name a function in its backtrace,
// and not warn about a note section (such as a register set it cannot
// read).
func checkCore(t *testing.T, pid int, archive string) {
	t.Helper()
	var info infoJSON
	if !procsnapJSON(t, &info, []int{0}, "info", archive) {
		return
	}
	core := archive + ".core"
	defer os.Remove(core)
	if r := procsnap(t, "export-core", "-q", "-o", core, archive); r.code != 0 {
		t.Errorf("export-core: %s", r)
		return
	}
	r := runCmd(t, "gdb", "-nx", "-batch", "-iex", "set debuginfod enabled off",
		"-ex", "info threads", "-ex", "echo @@bt\\n", "-ex", "bt", info.Exe, core)
	threads, bt, ok := strings.Cut(r.stdout, "@@bt\n")
	if r.code != 0 || !ok {
		t.Errorf("gdb: %s", r)
		return
	}
	var lwps, want []int
	current := 0
	for _, m := range gdbThread.FindAllStringSubmatch(threads, -1) {
		lwp, _ := strconv.Atoi(m[2])
		lwps = append(lwps, lwp)
		if m[1] == "*" {
			current = lwp
		}
	}
	for _, th := range info.Threads {
		want = append(want, th.TID)
	}
	slices.Sort(lwps)
	slices.Sort(want)
	if !slices.Equal(lwps, want) {
		t.Errorf("gdb lists %d threads %v; the archive holds %d: %v\n%s", len(lwps), lwps, len(want), want, r)
	}
	if current != pid {
		t.Errorf("gdb's current thread is LWP %d, want the main thread %d", current, pid)
	}
	if !namesFunction(bt) {
		t.Errorf("the main thread's backtrace names no function:\n%s", r)
	}
	if strings.Contains(r.stderr, "warning: Section") {
		t.Errorf("gdb finds a note section of the core wrong:\n%s", r)
	}
}

func namesFunction(bt string) bool {
	for _, m := range gdbFrame.FindAllStringSubmatch(bt, -1) {
		if m[1] != "??" {
			return true
		}
	}
	return false
}
