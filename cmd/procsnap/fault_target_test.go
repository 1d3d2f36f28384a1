package main

// Faults on the target's side: it dies mid-capture, its threads churn, it
// forks.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// faultTargetKilled kills the target with SIGKILL at points of a capture:
// 25 ms in, while procsnap prepares its buffer (after its checks, before the
// freeze), then while frozen, copying and writing. Points are named by
// their place in the capture (a percentage of its duration).
func faultTargetKilled(t *testing.T, tools faultTools, dir string, timing func(*testing.T) faultTiming) {
	type point struct {
		buffer string
		pct    int // of the capture's duration; -1: 25 ms
	}
	points := []point{{"", -1}, {"", 50}, {faultSmallBuf, 33}, {faultSmallBuf, 67}}
	if faultLong() {
		for i := range 8 {
			points = append(points, point{[]string{"", faultSmallBuf}[i%2], 100 * i / 7})
		}
	}
	for i, pt := range points {
		at := fmt.Sprintf("%d%%", pt.pct)
		if pt.pct < 0 {
			at = "25ms"
		}
		t.Run(fmt.Sprintf("%02d-at-%s-buffer-%s", i, at, faultBufName(pt.buffer)), func(t *testing.T) {
			delay := 25 * time.Millisecond
			if pt.pct >= 0 {
				delay = timing(t).span(pt.buffer) * time.Duration(pt.pct) / 100
			}
			tg := startFaultTarget(t, tools, "steady", 4, faultHeapMiB)
			path := filepath.Join(dir, "target-killed.psnap")
			defer os.Remove(path)
			defer os.Remove(path + ".sha256") // the sidecar of a closed archive
			p := faultStartProcsnap(t, tools, dir, nil, faultCaptureArgs(path, pt.buffer, tg.PID)...)
			time.Sleep(delay)
			tg.End()
			r := p.wait(faultHang)
			a := faultInspect(t, path)
			t.Logf("%s; archive: %s", r, a)
			switch {
			case r.hung:
				t.Fatalf("procsnap hung when its target died: %s", r)
			case r.code == 0:
				if !a.complete || len(a.problems) > 0 {
					t.Errorf("exit 0 but the archive is not complete and intact: %s", a)
				}
			case r.code == exitIncomplete:
				a.mustBeReadable(t, "archive of a target that died")
				if a.complete || !strings.Contains(a.reason, "exited") {
					t.Errorf("exit 3: the archive should be marked incomplete because the target exited: %s", a)
				}
			case r.code == 1:
				// The target died before the freeze: the message must say so.
				if !faultSaysExited(r.stderr) {
					t.Errorf("exit 1 without saying that the target exited: %q", r.stderr)
				}
				if a.exists {
					t.Errorf("exit 1 (no archive) but %s is left: %s", path, a)
				}
			default:
				t.Errorf("target killed mid-capture: %s; want exit 0, 1 or 3", r)
			}
		})
	}
}

// faultSaysExited reports whether a message names the target's death.
func faultSaysExited(stderr string) bool {
	s := strings.ToLower(stderr)
	for _, w := range []string{"exited", "no such process", "no longer exists", "zombie", "died"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// faultBusyTarget captures a target whose threads keep exiting and being
// created ("churn"), or that keeps forking ("fork").
func faultBusyTarget(t *testing.T, tools faultTools, dir, mode string) {
	tg := startFaultTarget(t, tools, mode, 8, 64)
	for i, buffer := range []string{"", faultSmallBuf, "", "4MiB"} {
		t.Run(fmt.Sprintf("%02d-buffer-%s", i, faultBufName(buffer)), func(t *testing.T) {
			path := filepath.Join(dir, mode+".psnap")
			defer os.Remove(path)
			defer os.Remove(path + ".sha256") // the sidecar of a closed archive
			r := faultRunProcsnap(t, tools, dir, faultHang, faultCaptureArgs(path, buffer, tg.PID)...)
			if r.hung {
				t.Fatalf("procsnap hung on a %s target: %s", mode, r)
			}
			tg.requireRunning(t, "a capture of a "+mode+" target")
			a := faultInspect(t, path)
			t.Logf("%s; archive: %s", r, a)
			switch r.code {
			case 0:
				if !a.complete || len(a.problems) > 0 {
					t.Errorf("exit 0 but the archive is not complete and intact: %s %v", a, faultFirst(a.problems))
				}
			case exitIncomplete:
				a.mustBeReadable(t, "incomplete archive")
				if a.reason == "" {
					t.Errorf("exit 3 without a reason in the archive: %s", a)
				}
			case 1:
				if strings.TrimSpace(r.stderr) == "" {
					t.Errorf("exit 1 without a message")
				}
			default:
				t.Errorf("capture of a %s target: %s", mode, r)
			}
		})
	}
}
