package main

// Capture faults on the output side: a full filesystem, a broken pipe, an
// existing output file, --force.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// faultFullFilesystem writes the archive to a small tmpfs that fills up.
func faultFullFilesystem(t *testing.T, tools faultTools, tg *faultTarget) {
	for _, buffer := range []string{"", faultSmallBuf} {
		t.Run("buffer-"+faultBufName(buffer), func(t *testing.T) {
			dir := faultMountTmpfs(t, faultFullSize)
			path := filepath.Join(dir, "full.psnap")
			r := faultRunProcsnap(t, tools, dir, faultHang, faultCaptureArgs(path, buffer, tg.PID)...)
			if r.hung {
				t.Fatalf("procsnap hung on a full filesystem: %s", r)
			}
			tg.requireRunning(t, "a capture onto a full filesystem")
			if r.code == 0 || r.signal != 0 || !strings.Contains(r.stderr, "no space left on device") {
				t.Errorf("on a full filesystem: %s; want a non-zero exit naming \"no space left on device\"", r)
			}
			a := faultInspect(t, path)
			t.Logf("%s; archive: %s", r, a)
			a.mustBeReadable(t, "what was written before the filesystem filled up")
		})
	}
	// With --force onto an earlier archive: the capture fails (exit 1), so
	// the earlier file must stay (docs/CLI.md: a capture that fails leaves
	// the old file untouched); what was written stays beside it.
	t.Run("force-over-earlier-evidence", func(t *testing.T) {
		dir := faultMountTmpfs(t, faultFullSize)
		path := faultEarlierFile(t, dir)
		r := faultRunProcsnap(t, tools, dir, faultHang, "capture", "--force", "-o", path, strconv.Itoa(tg.PID))
		tg.requireRunning(t, "a --force capture onto a full filesystem")
		if r.code != 1 || !strings.Contains(r.stderr, "no space left on device") {
			t.Errorf("on a full filesystem: %s; want exit 1 naming \"no space left on device\"", r)
		}
		faultEarlierUntouched(t, path, fmt.Sprintf("a failed --force capture (exit %d): the earlier evidence is lost;", r.code))
		for _, l := range faultBeside(path) {
			a := faultInspect(t, filepath.Join(filepath.Dir(path), l))
			t.Logf("left beside it: %s: %s", l, a)
			a.mustBeReadable(t, "the cut-short archive")
		}
	})
}

// faultBrokenPipe streams the archive into head -c 100000.
func faultBrokenPipe(t *testing.T, tools faultTools, tg *faultTarget, dir string) {
	for _, buffer := range []string{"", faultSmallBuf} {
		t.Run("buffer-"+faultBufName(buffer), func(t *testing.T) {
			got := filepath.Join(dir, "head.psnap")
			defer os.Remove(got)
			f, err := os.Create(got)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			head := exec.Command("head", "-c", "100000")
			head.Stdin, head.Stdout = pr, f
			if err := head.Start(); err != nil {
				t.Fatal(err)
			}
			p := faultNewProcsnap(tools, dir, nil, faultCaptureArgs("-", buffer, tg.PID)...)
			p.cmd.Stdout = pw
			p.begin(t)
			pr.Close()
			pw.Close()
			r := p.wait(faultHang)
			_ = head.Wait()
			if r.hung {
				t.Fatalf("procsnap hung on a broken pipe: %s", r)
			}
			tg.requireRunning(t, "a capture into a broken pipe")
			if r.code == 0 || r.signal != 0 || !strings.Contains(r.stderr, "broken pipe") {
				t.Errorf("into a pipe closed early: %s; want a non-zero exit naming \"broken pipe\"", r)
			}
			a := faultInspect(t, got)
			t.Logf("%s; the reader got: %s", r, a)
			a.mustBeReadable(t, "the 100000 bytes the pipe's reader got")
		})
	}
}

// faultOutputExists: an existing output file is refused and left untouched.
func faultOutputExists(t *testing.T, tools faultTools, tg *faultTarget, dir string) {
	path := filepath.Join(dir, "evidence.psnap")
	want := []byte("earlier evidence: never overwrite me\n")
	if err := os.WriteFile(path, want, 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	r := faultRunProcsnap(t, tools, dir, faultHang, faultCaptureArgs(path, "", tg.PID)...)
	tg.requireRunning(t, "a refused capture")
	wantErr := fmt.Sprintf("procsnap capture: %s already exists (use --force to overwrite it)\n", path)
	if r.code != 1 || r.stderr != wantErr {
		t.Errorf("capture onto an existing file: %s; want exit 1 and %q", r, wantErr)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != string(want) {
		t.Errorf("the existing file now holds %q (%v), want it untouched", got, err)
	}
	if st, err := os.Stat(path); err != nil || !st.ModTime().Equal(old) {
		t.Errorf("the existing file's mtime changed: %v (%v)", st.ModTime(), err)
	}
}

// faultEarlier is the content of an earlier archive that --force may
// replace only with a finished capture.
var faultEarlier = []byte("earlier evidence\n")

// faultEarlierFile writes an earlier archive, mode 0644, into a fresh
// directory under dir and returns its path.
func faultEarlierFile(t *testing.T, dir string) string {
	t.Helper()
	sub, err := os.MkdirTemp(dir, "force")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sub) })
	path := filepath.Join(sub, "evidence.psnap")
	if err := os.WriteFile(path, faultEarlier, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// faultBeside lists the files next to path.
func faultBeside(path string) []string {
	ents, _ := os.ReadDir(filepath.Dir(path))
	var names []string
	for _, e := range ents {
		if e.Name() != filepath.Base(path) {
			names = append(names, e.Name())
		}
	}
	return names
}

func faultEarlierUntouched(t *testing.T, path, after string) {
	t.Helper()
	if b, err := os.ReadFile(path); err != nil || string(b) != string(faultEarlier) {
		t.Errorf("after %s the earlier file holds %d bytes (%v), want it untouched", after, len(b), err)
	}
}

// faultForce: with --force the old file is replaced only by a finished
// capture; a refused or killed capture leaves it as it was.
func faultForce(t *testing.T, tools faultTools, steady func(*testing.T) *faultTarget, dir string) {
	t.Run("refused", func(t *testing.T) {
		path := faultEarlierFile(t, dir)
		r := faultRunProcsnap(t, tools, filepath.Dir(path), faultHang, "capture", "--force", "-o", path, "999999999")
		if r.code == 0 || strings.TrimSpace(r.stderr) == "" {
			t.Errorf("capture of no process: %s", r)
		}
		faultEarlierUntouched(t, path, "a refused capture")
		if l := faultBeside(path); len(l) > 0 {
			t.Errorf("a refused --force capture left %v", l)
		}
	})
	t.Run("complete", func(t *testing.T) {
		tg := steady(t)
		path := faultEarlierFile(t, dir)
		r := faultRunProcsnap(t, tools, filepath.Dir(path), faultHang, "capture", "--force", "-o", path, strconv.Itoa(tg.PID))
		tg.requireRunning(t, "a --force capture")
		a := faultInspect(t, path)
		if r.code != 0 || !a.complete || a.mode != 0o600 {
			t.Errorf("--force capture: %s; archive %s mode %v, want complete and 0600", r, a, a.mode)
		}
		if l := faultBeside(path); len(l) != 1 || l[0] != filepath.Base(path)+".sha256" {
			t.Errorf("a --force capture left %v, want only its sidecar %s.sha256", l, filepath.Base(path))
		}
	})
	t.Run("killed", func(t *testing.T) { faultForceKilled(t, tools, steady(t), dir) })
}

// faultHoldAfter is where the killed --force capture's output stops (the
// procsnaptest build's PROCSNAP_TEST_HOLD_AFTER): past the metadata, well
// before the end, so that the kill always lands mid-capture.
const faultHoldAfter = 1 << 20

// faultForceKilled kills a --force capture mid-way, every time: procsnap
// (built with the procsnaptest hook) stops writing after faultHoldAfter
// bytes, with the target frozen (--buffer 16MiB writes while frozen), and is
// killed there. The earlier file stays, the target runs on, and what was
// written so far is left beside it, readable.
func faultForceKilled(t *testing.T, tools faultTools, tg *faultTarget, dir string) {
	path := faultEarlierFile(t, dir)
	p := faultNewProcsnap(tools, filepath.Dir(path), nil, "capture", "--force", "--no-progress", "--buffer", faultSmallBuf, "-o", path, strconv.Itoa(tg.PID))
	p.cmd.Env = append(os.Environ(), fmt.Sprintf("PROCSNAP_TEST_HOLD_AFTER=%d", faultHoldAfter))
	p.begin(t)
	partial := faultWaitPartial(t, p, path)
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	r := p.wait(faultHang)
	tg.requireRunning(t, "a --force capture killed mid-way")
	if r.signal != syscall.SIGKILL {
		t.Fatalf("procsnap was not killed mid-capture: %s", r)
	}
	faultEarlierUntouched(t, path, "a killed --force capture")
	if l := faultBeside(path); len(l) != 1 || l[0] != filepath.Base(partial) {
		t.Errorf("a killed --force capture left %v beside the earlier file, want only %s", l, filepath.Base(partial))
	}
	a := faultInspect(t, partial)
	t.Logf("a killed --force capture leaves %s: %s", filepath.Base(partial), a)
	if a.mode != 0o600 || a.size < faultHoldAfter || a.complete {
		t.Errorf("the partial file: mode %v, %d bytes, complete %v; want 0600, at least %d bytes, incomplete", a.mode, a.size, a.complete, faultHoldAfter)
	}
	a.mustBeReadable(t, "the partial file of a killed --force capture")
}

// faultWaitPartial waits until the temporary file beside path holds
// faultHoldAfter bytes, and returns its path. procsnap must not end first.
func faultWaitPartial(t *testing.T, p *faultProc, path string) string {
	t.Helper()
	for deadline := time.Now().Add(faultHang); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, l := range faultBeside(path) {
			full := filepath.Join(filepath.Dir(path), l)
			if st, err := os.Stat(full); err == nil && st.Size() >= faultHoldAfter {
				return full
			}
		}
		faultMustRun(t, p, fmt.Sprintf("its output reached %d bytes (is it built with -tags procsnaptest?)", faultHoldAfter))
	}
	t.Fatalf("procsnap's output did not reach %d bytes in %v", faultHoldAfter, faultHang)
	return ""
}
