package main

// Capture under faults (issue 9): procsnap is killed or interrupted at many
// points of a capture, its output fails, its target dies, churns threads or
// forks, or it is not allowed to trace. After each scenario the target must
// run on and whatever procsnap wrote must stay readable. This file holds the
// test and the signal points; the other scenarios are in fault_output,
// fault_refuse and fault_target.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
	"golang.org/x/sys/unix"
)

const (
	faultHeapMiB   = 256           // the steady target's heap: a capture takes ~1-2 s
	faultSmallBuf  = "16MiB"       // --buffer that makes most of the capture happen frozen
	faultHang      = time.Minute   // a procsnap run longer than this is a hang
	faultTmpfsSize = "1g"          // where the suite's archives go: no disk writeback
	faultFullSize  = "8m"          // the full filesystem
	faultMinHeader = int64(8 + 48) // signature and header record
)

func TestFaultCapture(t *testing.T) {
	faultRequireRoot(t)
	tools := buildFaultTools(t, true)
	out := faultMountTmpfs(t, faultTmpfsSize)
	var tg *faultTarget
	steady := func(t *testing.T) *faultTarget {
		if tg == nil || !tg.alive() {
			tg = startFaultTarget(t, tools, "steady", 4, faultHeapMiB)
		}
		return tg
	}
	// How long a capture takes, measured once by whichever subtest needs
	// it first: every subtest runs alone (go test -run its name).
	var tm faultTiming
	timing := func(t *testing.T) faultTiming {
		if tm.full == 0 {
			tm.full, tm.size = faultCompleteCapture(t, tools, steady(t), out, "")
			tm.small, _ = faultCompleteCapture(t, tools, steady(t), out, faultSmallBuf)
			t.Logf("a full capture takes %v (default buffer), %v (--buffer %s); its archive has %d bytes", tm.full, tm.small, faultSmallBuf, tm.size)
		}
		return tm
	}
	t.Run("complete", func(t *testing.T) { timing(t) })
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT, syscall.SIGTERM} {
		t.Run(unix.SignalName(sig), func(t *testing.T) {
			faultSignalPoints(t, tools, steady, out, sig, timing)
		})
	}
	t.Run("full-filesystem", func(t *testing.T) { faultFullFilesystem(t, tools, steady(t)) })
	t.Run("broken-pipe", func(t *testing.T) { faultBrokenPipe(t, tools, steady(t), out) })
	t.Run("output-exists", func(t *testing.T) { faultOutputExists(t, tools, steady(t), out) })
	t.Run("force", func(t *testing.T) { faultForce(t, tools, steady, out) })
	t.Run("unprivileged", func(t *testing.T) { faultUnprivileged(t, tools, steady(t)) })
	t.Run("already-traced", func(t *testing.T) { faultAlreadyTraced(t, tools, steady(t), out) })
	t.Run("target-killed", func(t *testing.T) { faultTargetKilled(t, tools, out, timing) })
	t.Run("thread-churn", func(t *testing.T) { faultBusyTarget(t, tools, out, "churn") })
	t.Run("forking-target", func(t *testing.T) { faultBusyTarget(t, tools, out, "fork") })
}

// faultTiming is how long an undisturbed capture of the steady target
// takes, with the default buffer and with faultSmallBuf, and the size of
// its archive.
type faultTiming struct {
	full, small time.Duration
	size        int64
}

// span is the duration of a capture with buffer.
func (tm faultTiming) span(buffer string) time.Duration {
	if buffer == faultSmallBuf {
		return tm.small
	}
	return tm.full
}

// faultMountTmpfs mounts a tmpfs of size on a fresh directory until t ends.
func faultMountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0755"); err != nil {
		t.Fatalf("mount a %s tmpfs on %s: %v", size, dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func faultBufName(buffer string) string {
	if buffer == "" {
		return "default"
	}
	return buffer
}

func faultCaptureArgs(path, buffer string, pid int) []string {
	args := []string{"capture", "--no-progress", "-o", path}
	if buffer != "" {
		args = append(args, "--buffer", buffer)
	}
	return append(args, strconv.Itoa(pid))
}

// faultCompleteCapture captures the target undisturbed: exit 0, a complete
// archive that verifies, the target running on. It returns the duration
// and the archive's size.
func faultCompleteCapture(t *testing.T, tools faultTools, tg *faultTarget, dir, buffer string) (time.Duration, int64) {
	path := filepath.Join(dir, "complete.psnap")
	defer os.Remove(path)
	defer os.Remove(path + ".sha256") // the sidecar of a closed archive
	r := faultRunProcsnap(t, tools, dir, faultHang, faultCaptureArgs(path, buffer, tg.PID)...)
	tg.requireRunning(t, "a complete capture")
	if r.code != 0 {
		t.Fatalf("capture: %s", r)
	}
	a := faultInspect(t, path)
	if !a.complete || len(a.problems) > 0 || a.tailIssues > 0 {
		t.Fatalf("complete capture: archive %s, problems %v", a, faultFirst(a.problems))
	}
	if a.mode != 0o600 {
		t.Errorf("archive mode %v, want 0600", a.mode)
	}
	return r.elapsed, a.size
}

// faultSignalPoints sends sig to procsnap at points spread from its start to
// past the end of a capture, alternating the default and a small buffer,
// by time ("NN-at-P%": P% of an undisturbed capture's duration, which
// lands anywhere on a loaded machine), then at points that do not depend
// on the machine's speed: while the target is frozen, and once the archive
// holds P% of its bytes ("written-P%"), which must interrupt it mid-way.
// Names are the same on every machine and run.
func faultSignalPoints(t *testing.T, tools faultTools, steady func(*testing.T) *faultTarget, dir string, sig syscall.Signal, timing func(*testing.T) faultTiming) {
	n := faultCount(10, 40)
	for i := range n {
		buffer := []string{"", faultSmallBuf}[i%2]
		pct := 125 * i / (n - 1)
		t.Run(fmt.Sprintf("%02d-at-%d%%", i, pct)+faultBufSuffix(buffer), func(t *testing.T) {
			delay := timing(t).span(buffer) * time.Duration(pct) / 100
			faultSignalPoint(t, tools, steady(t), dir, sig, buffer, func(*faultProc, string) { time.Sleep(delay) })
		})
	}
	for _, buffer := range []string{"", faultSmallBuf} {
		t.Run("frozen"+faultBufSuffix(buffer), func(t *testing.T) {
			tg := steady(t)
			faultSignalPoint(t, tools, tg, dir, sig, buffer, func(p *faultProc, _ string) { tg.waitFrozen(t, p) })
		})
		for _, pct := range []int64{10, 50, 90} {
			t.Run(fmt.Sprintf("written-%d%%", pct)+faultBufSuffix(buffer), func(t *testing.T) {
				size := timing(t).size * pct / 100
				got := faultSignalPoint(t, tools, steady(t), dir, sig, buffer, func(p *faultProc, path string) { faultWaitSize(t, p, path, size) })
				if got != "midway" {
					t.Errorf("%s once the archive held %d%% of its bytes: the capture was not interrupted mid-way (%s)", unix.SignalName(sig), pct, got)
				}
			})
		}
	}
}

func faultBufSuffix(buffer string) string {
	if buffer == "" {
		return ""
	}
	return "-buffer-" + buffer
}

// waitFrozen waits until every task of the target is in a ptrace stop.
func (tg *faultTarget) waitFrozen(t *testing.T, p *faultProc) {
	t.Helper()
	for deadline := time.Now().Add(faultHang); time.Now().Before(deadline); time.Sleep(200 * time.Microsecond) {
		if tg.taskStates().All('t') {
			return
		}
		faultMustRun(t, p, "the target was frozen")
	}
	t.Fatalf("the target was not frozen within %v", faultHang)
}

// faultWaitSize waits until the file at path holds size bytes.
func faultWaitSize(t *testing.T, p *faultProc, path string, size int64) {
	t.Helper()
	for deadline := time.Now().Add(faultHang); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if st, err := os.Stat(path); err == nil && st.Size() >= size {
			return
		}
		faultMustRun(t, p, fmt.Sprintf("its archive held %d bytes", size))
	}
	t.Fatalf("%s did not reach %d bytes within %v", path, size, faultHang)
}

// faultMustRun fails t when procsnap has ended before what it waits for.
func faultMustRun(t *testing.T, p *faultProc, before string) {
	t.Helper()
	pid := p.cmd.Process.Pid
	if syscall.Kill(pid, 0) != nil || proctest.ProcState(pid) == 'Z' {
		t.Fatalf("procsnap ended before %s: %s", before, p.wait(faultHang))
	}
}

// faultSignalPoint runs one capture, sends sig once wait returns, and checks
// the outcome: "before" (nothing written), "midway" or "after" (complete).
func faultSignalPoint(t *testing.T, tools faultTools, tg *faultTarget, dir string, sig syscall.Signal, buffer string, wait func(p *faultProc, path string)) string {
	path := filepath.Join(dir, "signal.psnap")
	defer os.Remove(path)
	defer os.Remove(path + ".sha256") // the sidecar of a closed archive
	p := faultStartProcsnap(t, tools, dir, nil, faultCaptureArgs(path, buffer, tg.PID)...)
	wait(p, path)
	_ = p.cmd.Process.Signal(sig) // fails when procsnap already exited: fine
	r := p.wait(faultHang)
	if r.hung {
		t.Fatalf("procsnap hung after %s: %s", unix.SignalName(sig), r)
	}
	tg.requireRunning(t, unix.SignalName(sig)+" to procsnap")
	a := faultInspect(t, path)
	if a.exists && a.mode != 0o600 {
		t.Errorf("archive mode %v, want 0600", a.mode)
	}
	t.Logf("%s; archive: %s", r, a)
	switch {
	case r.code == 0:
		if !a.complete || len(a.problems) > 0 || a.tailIssues > 0 {
			t.Errorf("exit 0 but the archive is not complete and intact: %s %v", a, faultFirst(a.problems))
		}
		return "after"
	case r.signal == sig && sig == syscall.SIGKILL:
		if !a.exists || a.size < faultMinHeader {
			return "before" // killed before the first flush: nothing was captured
		}
		a.mustBeReadable(t, "archive left by a SIGKILLed capture")
		if a.complete {
			return "after"
		}
		return "midway"
	case r.signal == sig:
		// Killed by the default action: the signal came before procsnap
		// installed its handlers, before it touched anything.
		if a.exists {
			t.Errorf("killed by %s before its handlers were installed, yet an archive exists: %s", unix.SignalName(sig), a)
		}
		return "before"
	case r.code == 128+int(sig):
		if !strings.Contains(r.stderr, "interrupted by "+unix.SignalName(sig)) {
			t.Errorf("exit %d without saying it was interrupted by %s: %q", r.code, unix.SignalName(sig), r.stderr)
		}
		if !a.exists {
			return "before" // interrupted before or during the freeze: no archive
		}
		a.mustBeReadable(t, "archive of an interrupted capture")
		if !a.trailer || a.complete || !strings.Contains(a.reason, unix.SignalName(sig)) {
			t.Errorf("interrupted archive should be closed (trailer) and marked incomplete with the signal as reason: %s", a)
		}
		return "midway"
	}
	t.Errorf("%s: unexpected outcome: %s", unix.SignalName(sig), r)
	return ""
}
