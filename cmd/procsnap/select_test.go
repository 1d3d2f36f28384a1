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
	"strconv"
	"strings"
	"testing"
	"time"
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
	cmd := exec.Command(bin, append([]string{"1000"}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	selWaitComm(t, cmd.Process.Pid, name)
	return cmd.Process.Pid
}

// selWaitComm waits until process pid has exec'd into name.
func selWaitComm(t *testing.T, pid int, name string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(b)) == name {
			return
		}
	}
	t.Fatalf("PID %d is not %s after 10 s", pid, name)
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
		pid     int
		code    int
		stderrs []string
	}{
		{"NAME", []string{name}, one, 0, nil},
		{"--name on comm", []string{"--name", "^" + name + "$"}, one, 0, nil},
		{"--name on the command line only", []string{"--name", regexp.QuoteMeta(" 1000 " + arg)}, one, 0, nil},
		{"several", []string{twin}, 0, exitUsage, []string{"2 processes match", strconv.Itoa(a), strconv.Itoa(b), "give the PID", "USER", "1000"}},
		{"several by --name", []string{"--name", twin}, 0, exitUsage, []string{"2 processes match", strconv.Itoa(a), strconv.Itoa(b)}},
		{"none", []string{selName()}, 0, exitFailure, []string{"no process matches", "equal to comm"}},
		{"none by --name", []string{"--name", selName() + "x"}, 0, exitFailure, []string{"no process matches", "comm and the command line"}},
		{"NAME is not a pattern", []string{name[:6] + ".*"}, 0, exitFailure, []string{"no process matches"}},
		{"a PID and --name", []string{"--name", name, strconv.Itoa(one)}, 0, exitUsage, []string{"not several"}},
		{"--name matching everything", []string{"--name", ".*"}, 0, exitUsage, []string{"matches the empty string"}},
		{"bad --name", []string{"--name", "(x"}, 0, exitUsage, []string{"--name: error parsing regexp"}},
		{"itself", []string{"--name", "^" + regexp.QuoteMeta(strings.Join(os.Args, " ")) + "$"}, 0, exitFailure, []string{"no process matches"}},
	} {
		t.Run(tc.what, func(t *testing.T) {
			pid, err := captureTarget(selArgs(tc.args))
			code := exitCode(&jsonStdout{w: io.Discard}, new(strings.Builder), "capture", err)
			var msg string
			if err != nil {
				msg = err.Error()
			}
			if pid != tc.pid || code != tc.code {
				t.Errorf("%q: PID %d, exit %d (%s); want PID %d, exit %d", tc.args, pid, code, msg, tc.pid, tc.code)
			}
			for _, s := range tc.stderrs {
				if !strings.Contains(msg, s) {
					t.Errorf("%q: the message does not say %q:\n%s", tc.args, s, msg)
				}
			}
		})
	}
}

// selArgs splits capture's arguments as runCapture does.
func selArgs(args []string) ([]string, string, bool) {
	if len(args) > 0 && args[0] == "--name" {
		return args[2:], args[1], true
	}
	return args, "", false
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
	if code, _, stderr := captRun("--no-progress", "-o", out, name); code != 0 {
		t.Fatalf("capture %s: exit %d\n%s", name, code, stderr)
	}
	if r := captOpen(t, out); r.Meta() == nil || r.Meta().PID != pid || !r.Complete() {
		t.Errorf("capture %s: archive of %+v, want PID %d, complete", name, r.Meta(), pid)
	}
	token := selName()
	bin := procsnapBinary(t)
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
