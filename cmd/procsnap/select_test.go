package main

// capture NAME and capture --name REGEX (issue 15, item 5): the targets are
// copies of sleep(1) under names unique to the run, so that other processes
// on the machine (other test runs among them) never match.

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
	"github.com/procsnap/procsnap/procfs"
)

// selName is a process name unique to this run, short enough (12 bytes) to
// be the whole comm.
func selName() string { return fmt.Sprintf("psel%08x", rand.Uint32()) }

// selStart runs sleep(1) as name with args; it is killed when t ends.
func selStart(t *testing.T, name string, args ...string) int {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1) to copy as a target")
	}
	bin := filepath.Join(t.TempDir(), name)
	data, err := os.ReadFile(sleep)
	if err == nil {
		err = os.WriteFile(bin, data, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	pid := proctest.Start(t, exec.Command(bin, append([]string{"1000"}, args...)...)).PID
	selWaitComm(t, pid, name)
	return pid
}

// selWaitComm waits until process pid has exec'd into name.
func selWaitComm(t *testing.T, pid int, name string) {
	t.Helper()
	proctest.WaitFor(t, 10*time.Second, fmt.Sprintf("PID %d is not %s", pid, name), func() bool {
		comm, err := procfs.Default().Comm(pid)
		return err == nil && comm == name
	})
}

func TestCaptureByNameSelects(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("processes are listed from /proc")
	}
	name, twin, arg := selName(), selName(), fmt.Sprintf("0.%06d", rand.IntN(1e6))
	one := selStart(t, name, arg)
	a, b := selStart(t, twin), selStart(t, twin)
	for _, tc := range []struct {
		what    string
		args    []string
		pids    []int
		code    int
		stderrs []string
	}{
		{"NAME", []string{name}, []int{one}, 0, nil},
		{"--name on comm", []string{"--name", "^" + name + "$"}, []int{one}, 0, nil},
		{"--name on the command line only", []string{"--name", regexp.QuoteMeta(" 1000 " + arg)}, []int{one}, 0, nil},
		{"several", []string{twin}, []int{a, b}, 0, nil},
		{"several by --name", []string{"--name", twin}, []int{a, b}, 0, nil},
		{"none", []string{selName()}, nil, exitFailure, []string{"no process matches", "equal to comm"}},
		{"none by --name", []string{"--name", selName() + "x"}, nil, exitFailure, []string{"no process matches", "comm and the command line"}},
		{"NAME is not a pattern", []string{name[:6] + ".*"}, nil, exitFailure, []string{"no process matches"}},
		{"a PID and --name of the same process", []string{"--name", name, strconv.Itoa(one)}, []int{one}, 0, nil},
		{"NAME and --name combine", []string{"--name", "^" + name + "$", twin}, []int{one, a, b}, 0, nil},
		{"--name matching everything", []string{"--name", ".*"}, nil, exitUsage, []string{"matches the empty string"}},
		{"bad --name", []string{"--name", "(x"}, nil, exitUsage, []string{"--name: error parsing regexp"}},
		{"itself", []string{"--name", "^" + regexp.QuoteMeta(strings.Join(os.Args, " ")) + "$"}, nil, exitFailure, []string{"no process matches"}},
	} {
		t.Run(tc.what, func(t *testing.T) {
			pids, err := selectPIDs(t, tc.args)
			code := exitCode(&jsonStdout{w: io.Discard}, new(strings.Builder), "capture", err)
			var msg string
			if err != nil {
				msg = err.Error()
			}
			slices.Sort(tc.pids)
			if !slices.Equal(pids, tc.pids) || code != tc.code {
				t.Errorf("%q: PIDs %v, exit %d (%s); want PIDs %v, exit %d", tc.args, pids, code, msg, tc.pids, tc.code)
			}
			for _, s := range tc.stderrs {
				if !strings.Contains(msg, s) {
					t.Errorf("%q: the message does not say %q:\n%s", tc.args, s, msg)
				}
			}
		})
	}
}

// selectPIDs selects as capture does with these arguments.
func selectPIDs(t *testing.T, args []string) ([]int, error) {
	t.Helper()
	var o captureOpts
	fs := captureFlags(&o, io.Discard)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	sel, _, err := o.selection(fs.Args())
	if err != nil {
		return nil, err
	}
	procs, err := sel.matches()
	if err == nil && len(procs) == 0 {
		err = sel.noneError()
	}
	var pids []int
	for _, p := range procs {
		pids = append(pids, p.pid)
	}
	return pids, err
}

// TestCaptureByName captures a process by its name, in this process, and
// checks that procsnap run as a separate process (and through sh -c, whose
// command line holds the pattern) never matches itself nor its shell.
func TestCaptureByName(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" || os.Geteuid() != 0 {
		t.Skip("capture needs linux/amd64 and root (ptrace of a process this test did not start as its child)")
	}
	name := selName()
	pid := selStart(t, name)
	out := filepath.Join(t.TempDir(), "by-name.psnap")
	if code, _, stderr := runCLI("capture", "--no-progress", "-o", out, name); code != 0 {
		t.Fatalf("capture %s: exit %d\n%s", name, code, stderr)
	}
	if r := captOpen(t, out); r.Meta() == nil || r.Meta().PID != pid || !r.Complete() {
		t.Errorf("capture %s: archive of %+v, want PID %d, complete", name, r.Meta(), pid)
	}
	token := selName()
	bin := proctest.Procsnap(t)
	for _, argv := range [][]string{
		{bin, "capture", "--name", token},
		{"sh", "-c", bin + " capture --name " + token + "; exit $?"},
	} {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = t.TempDir() // where an archive would go, if it wrongly matched
		b, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitFailure || !strings.Contains(string(b), "no process matches") {
			t.Errorf("%q: %v, output %q; want exit 1 and no process matching", argv, err, b)
		}
	}
}
