package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
	"github.com/procsnap/procsnap/internal/proctest"
	"github.com/procsnap/procsnap/procfs"
)

// TestCaptureCLI runs the capture verb against live targets under real
// ptrace, in this process and as a separate procsnap process.
func TestCaptureCLI(t *testing.T) {
	t.Run("SIGKILL", testCaptureSIGKILL)
	t.Run("SIGINT frozen", func(t *testing.T) { testCaptureSIGINT(t, false) })
	t.Run("SIGINT writing", func(t *testing.T) { testCaptureSIGINT(t, true) })
	t.Run("target killed", testCaptureTargetKilled)
	t.Run("stdout pipe", testCaptureStdout)
	t.Run("already traced", func(t *testing.T) { testCaptureTraced(t, false) })
	t.Run("thread already traced", func(t *testing.T) { testCaptureTraced(t, true) })
	t.Run("output exists", testCaptureOutputExists)
}

// captProc is a procsnap process.
type captProc struct {
	*proctest.Proc
	stderr bytes.Buffer
}

func captStartProcsnap(t *testing.T, args ...string) *captProc {
	t.Helper()
	p := &captProc{}
	cmd := exec.Command(proctest.Procsnap(t), args...)
	cmd.Stderr = &p.stderr
	p.Proc = proctest.Start(t, cmd)
	return p
}

// waitTarget polls the target's task states every 200 µs until cond
// holds of them, and fails if procsnap ends first.
func (p *captProc) waitTarget(t *testing.T, tg *proctest.Threads, what string, cond func(proctest.States) bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Microsecond) {
		if cond(proctest.StatesOf(t, tg.PID)) {
			return
		}
		if p.Exited() {
			t.Fatalf("procsnap ended (%v) before %s: make the target larger\n%s", p.Wait(), what, p.stderr.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("20 s without %s", what)
		}
	}
}

// waitFrozen waits until every task of the target is in a ptrace stop,
// then 20 ms more, so that the freeze is over and the copy has begun, and
// checks that the target is still frozen.
func (p *captProc) waitFrozen(t *testing.T, tg *proctest.Threads) {
	t.Helper()
	p.waitTarget(t, tg, "the target was frozen", allFrozen)
	time.Sleep(20 * time.Millisecond)
	if st := proctest.StatesOf(t, tg.PID); !allFrozen(st) {
		t.Fatalf("the frozen phase lasted less than 20 ms (states %v): make the target larger", st)
	}
}

func allFrozen(st proctest.States) bool {
	n := 0
	for _, s := range st {
		switch s {
		case 't':
			n++
		case 'Z', 'X': // a short-lived thread on its way out
		default:
			return false
		}
	}
	return n > 0
}

// wait waits up to 30 s for procsnap to end and returns its exit code.
func (p *captProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.Done():
		var ee *exec.ExitError
		if err := p.Wait(); err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return p.Cmd.ProcessState.ExitCode()
	case <-time.After(30 * time.Second):
		t.Fatalf("procsnap still runs after 30 s\n%s", p.stderr.String())
		return -1
	}
}

// testCaptureSIGKILL kills procsnap while the target is frozen: the kernel
// detaches the target, which runs on.
func testCaptureSIGKILL(t *testing.T) {
	tg := proctest.StartThreads(t, 32, 256)
	out := filepath.Join(t.TempDir(), "killed.psnap")
	p := captStartProcsnap(t, "capture", "--freeze", "whole", "--buffer", "8MiB", "-o", out, strconv.Itoa(tg.PID))
	p.waitFrozen(t, tg)
	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != -1 || !p.Cmd.ProcessState.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("procsnap exit code %d, want death by SIGKILL", code)
	}
	tg.CheckRunning(t)
}

// testCaptureSIGINT interrupts procsnap with SIGINT while the target is
// frozen, or after the thaw while the archive is written: exit 130, the
// target runs on, and the archive opens, lists its regions and says it is
// incomplete.
func testCaptureSIGINT(t *testing.T, writing bool) {
	tg := proctest.StartThreads(t, 32, 256)
	out := filepath.Join(t.TempDir(), "interrupted.psnap")
	// --freeze=whole: everything is read while frozen, so the phases can be
	// told apart from outside (TestInterruptedInEachPhase in
	// snapshot/capture stops a pre-copied capture in each of its phases).
	args := []string{"capture", "--freeze", "whole", "--buffer", "8MiB", "-o", out, strconv.Itoa(tg.PID)}
	if writing {
		// The default buffer (nothing is written while frozen) and a slow
		// level: writing the archive after the thaw takes a while.
		args = []string{"capture", "--freeze", "whole", "--level", "better", "-o", out, strconv.Itoa(tg.PID)}
	}
	p := captStartProcsnap(t, args...)
	if writing {
		// Chunks reach the file only after the thaw when the buffer holds
		// the whole target.
		p.waitTarget(t, tg, "the archive was being written", func(st proctest.States) bool {
			fi, err := os.Stat(out)
			return err == nil && fi.Size() > 1<<20 && !allFrozen(st)
		})
	} else {
		p.waitFrozen(t, tg)
	}
	if err := p.Cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 130 {
		t.Errorf("exit code %d, want 130\n%s", code, p.stderr.String())
	}
	tg.CheckRunning(t)
	if !strings.Contains(p.stderr.String(), "INCOMPLETE") || !strings.Contains(p.stderr.String(), "SIGINT") {
		t.Errorf("stderr does not say the archive is incomplete because of SIGINT:\n%s", p.stderr.String())
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatalf("the interrupted capture left no archive: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("archive mode %v, want 0600", st.Mode().Perm())
	}
	r := captOpen(t, out)
	if r.Complete() || r.End() == nil || r.End().Complete || !strings.Contains(r.End().Reason, "SIGINT") {
		t.Errorf("archive: Complete() %v, end record %+v; want incomplete, interrupted by SIGINT", r.Complete(), r.End())
	}
	if len(r.Regions()) == 0 || len(r.Threads()) < tg.N {
		t.Fatalf("archive lists %d regions and %d threads", len(r.Regions()), len(r.Threads()))
	}
	partial := 0
	for _, g := range r.Regions() {
		if g.State() == format.RegionPartial || g.State() == format.RegionTruncated {
			partial++
		}
	}
	if partial == 0 {
		t.Errorf("every one of %d regions is complete in an interrupted capture", len(r.Regions()))
	}
}

// testCaptureTargetKilled kills the target while it is frozen: exit 3,
// and the archive says the target exited.
func testCaptureTargetKilled(t *testing.T) {
	tg := proctest.StartThreads(t, 32, 256)
	out := filepath.Join(t.TempDir(), "exited.psnap")
	p := captStartProcsnap(t, "capture", "--freeze", "whole", "--buffer", "8MiB", "-o", out, strconv.Itoa(tg.PID))
	p.waitFrozen(t, tg)
	if err := syscall.Kill(tg.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 3 {
		t.Errorf("exit code %d, want 3\n%s", code, p.stderr.String())
	}
	r := captOpen(t, out)
	if r.Complete() || r.End() == nil || !strings.Contains(r.End().Reason, "target exited") {
		t.Errorf("archive: Complete() %v, end record %+v; want incomplete, target exited", r.Complete(), r.End())
	}
}

// testCaptureStdout: "capture -o - PID | cat > f" writes the same archive
// content as "capture -o f PID" of the same stopped target, and the summary
// names it "-" with the digest of the bytes written.
func testCaptureStdout(t *testing.T) {
	tg := proctest.StartThreads(t, 32, 16)
	proctest.Suspend(t, tg.PID)
	dir := t.TempDir()
	piped, direct := filepath.Join(dir, "piped.psnap"), filepath.Join(dir, "direct.psnap")
	sh := exec.Command("sh", "-c", `"$0" capture -o - "$1" | cat > "$2"`, proctest.Procsnap(t), strconv.Itoa(tg.PID), piped)
	var shErr bytes.Buffer
	sh.Stderr = &shErr
	if err := sh.Run(); err != nil {
		t.Fatalf("procsnap capture -o - | cat: %v\n%s", err, shErr.String())
	}
	code, _, stderr := runCLI("capture", "-o", direct, strconv.Itoa(tg.PID))
	if code != 0 {
		t.Fatalf("capture -o FILE: exit %d\n%s", code, stderr)
	}
	if got, want := captSHA256Line(t, shErr.String(), "-"), sha256sum(t, piped); got != want {
		t.Errorf("-o -: summary says %s, sha256sum says %s", got, want)
	}
	if got, want := captSHA256Line(t, stderr, direct), sha256sum(t, direct); got != want {
		t.Errorf("-o FILE: summary says %s, sha256sum says %s", got, want)
	}
	a, b := captOpen(t, piped), captOpen(t, direct)
	if !a.Complete() || !b.Complete() {
		t.Errorf("complete: piped %v, direct %v", a.Complete(), b.Complete())
	}
	formattest.Same(t, a, b)
	proctest.WaitAll(t, tg.PID, 'T')
}

// testCaptureTraced: a target held by another tracer (its leader, or one
// of its threads) is refused with the tracer's PID, exit 1, no archive, and
// the target is not left stopped.
func testCaptureTraced(t *testing.T, thread bool) {
	tg := proctest.StartThreads(t, 32, 0)
	tid := tg.PID
	if thread {
		tids, err := procfs.Default().Tasks(tg.PID)
		if err != nil {
			t.Fatal(err)
		}
		tid = tids[len(tids)/2]
	}
	holder := proctest.StartTracer(t, tid).PID
	out := filepath.Join(t.TempDir(), "traced.psnap")
	code, _, stderr := runCLI("capture", "-o", out, strconv.Itoa(tg.PID))
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if want := fmt.Sprintf("already traced by PID %d", holder); !strings.Contains(stderr, want) {
		t.Errorf("stderr does not say %q:\n%s", want, stderr)
	}
	if strings.Contains(stderr, "needs root") {
		t.Errorf("stderr blames permissions:\n%s", stderr)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed capture left %s (%v)", out, err)
	}
	tg.CheckRunning(t)
}

// testCaptureOutputExists: an existing output file is refused and left as
// it was; --force overwrites it; the archive has mode 0600 either way; the
// summary's digest is the file's sha256sum.
func testCaptureOutputExists(t *testing.T) {
	tg := proctest.StartThreads(t, 32, 0)
	dir := t.TempDir()
	out := filepath.Join(dir, "exists.psnap")
	old := []byte("evidence that must not be lost\n")
	if err := os.WriteFile(out, old, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI("capture", "-o", out, strconv.Itoa(tg.PID))
	if code != 1 || !strings.Contains(stderr, "already exists") || !strings.Contains(stderr, "--force") {
		t.Errorf("capture over an existing file: exit %d, stderr %q; want 1, already exists, --force", code, stderr)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, old) {
		t.Errorf("the existing file was changed: %q", got)
	}
	tg.CheckRunning(t)

	code, _, stderr = runCLI("capture", "--force", "-o", out, strconv.Itoa(tg.PID))
	if code != 0 {
		t.Fatalf("capture --force: exit %d\n%s", code, stderr)
	}
	fresh := filepath.Join(dir, "fresh.psnap")
	if code, _, stderr := runCLI("capture", "-o", fresh, strconv.Itoa(tg.PID)); code != 0 {
		t.Fatalf("capture: exit %d\n%s", code, stderr)
	}
	for _, path := range []string{out, fresh} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(path), st.Mode().Perm())
		}
		if r := captOpen(t, path); !r.Complete() || len(r.Regions()) == 0 {
			t.Errorf("%s: complete %v, %d regions", filepath.Base(path), r.Complete(), len(r.Regions()))
		}
	}
	if got, want := captSHA256Line(t, stderr, out), sha256sum(t, out); got != want {
		t.Errorf("summary says %s, sha256sum says %s", got, want)
	}
	tg.CheckRunning(t)
}
