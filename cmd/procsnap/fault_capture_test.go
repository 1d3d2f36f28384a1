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
	var full, fullSmall time.Duration
	t.Run("complete", func(t *testing.T) {
		full = faultCompleteCapture(t, tools, steady(t), out, "")
		fullSmall = faultCompleteCapture(t, tools, steady(t), out, faultSmallBuf)
		t.Logf("a full capture takes %v (default buffer), %v (--buffer %s)", full, fullSmall, faultSmallBuf)
	})
	if full == 0 {
		t.Fatal("no complete capture: the fault scenarios below need its duration")
	}
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT, syscall.SIGTERM} {
		t.Run(unix.SignalName(sig), func(t *testing.T) {
			faultSignalPoints(t, tools, steady, out, sig, full, fullSmall)
		})
	}
	t.Run("full-filesystem", func(t *testing.T) { faultFullFilesystem(t, tools, steady(t)) })
	t.Run("broken-pipe", func(t *testing.T) { faultBrokenPipe(t, tools, steady(t), out) })
	t.Run("output-exists", func(t *testing.T) { faultOutputExists(t, tools, steady(t), out) })
	t.Run("force", func(t *testing.T) { faultForce(t, tools, steady(t), out, full) })
	t.Run("unprivileged", func(t *testing.T) { faultUnprivileged(t, tools, steady(t)) })
	t.Run("already-traced", func(t *testing.T) { faultAlreadyTraced(t, tools, steady(t), out) })
	t.Run("target-killed", func(t *testing.T) { faultTargetKilled(t, tools, out, full, fullSmall) })
	t.Run("thread-churn", func(t *testing.T) { faultBusyTarget(t, tools, out, "churn") })
	t.Run("forking-target", func(t *testing.T) { faultBusyTarget(t, tools, out, "fork") })
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
// archive that verifies, the target running on. It returns the duration.
func faultCompleteCapture(t *testing.T, tools faultTools, tg *faultTarget, dir, buffer string) time.Duration {
	path := filepath.Join(dir, "complete.psnap")
	defer os.Remove(path)
	r := faultRunProcsnap(t, tools, dir, faultHang, faultCaptureArgs(path, buffer, tg.pid)...)
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
	return r.elapsed
}

// faultSignalPoints sends sig to procsnap at points spread from its start to
// past the end of a capture, alternating the default and a small buffer.
func faultSignalPoints(t *testing.T, tools faultTools, steady func(*testing.T) *faultTarget, dir string, sig syscall.Signal, full, fullSmall time.Duration) {
	n := faultCount(10, 40)
	var midway, after int
	for i := range n {
		buffer, span := "", full
		if i%2 == 1 {
			buffer, span = faultSmallBuf, fullSmall
		}
		delay := span * 5 / 4 * time.Duration(i) / time.Duration(n-1)
		name := fmt.Sprintf("%02d-at-%v", i, delay.Round(time.Millisecond))
		if buffer != "" {
			name += "-buffer-" + buffer
		}
		t.Run(name, func(t *testing.T) {
			switch faultSignalPoint(t, tools, steady(t), dir, sig, delay, buffer) {
			case "midway":
				midway++
			case "after":
				after++
			}
		})
	}
	t.Logf("%s: %d of %d points interrupted a capture mid-way, %d landed after it", unix.SignalName(sig), midway, n, after)
	if midway < 2 {
		t.Errorf("%s: only %d of %d points interrupted a capture mid-way: the points do not cover the capture", unix.SignalName(sig), midway, n)
	}
}

// faultSignalPoint runs one capture, sends sig after delay, and checks the
// outcome: "before" (nothing written), "midway" or "after" (complete).
func faultSignalPoint(t *testing.T, tools faultTools, tg *faultTarget, dir string, sig syscall.Signal, delay time.Duration, buffer string) string {
	path := filepath.Join(dir, "signal.psnap")
	defer os.Remove(path)
	p := faultStartProcsnap(t, tools, dir, nil, faultCaptureArgs(path, buffer, tg.pid)...)
	time.Sleep(delay)
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
	t.Errorf("%s at %v: unexpected outcome: %s", unix.SignalName(sig), delay, r)
	return ""
}
