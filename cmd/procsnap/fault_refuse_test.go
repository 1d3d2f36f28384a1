package main

// Captures that procsnap must refuse before it touches the target: not
// permitted, or the target already traced.

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/procsnap/procsnap/internal/proctest"
	"github.com/procsnap/procsnap/procfs"
)

// faultUnprivileged runs procsnap as nobody against a root target.
func faultUnprivileged(t *testing.T, tools faultTools, tg *faultTarget) {
	proctest.NeedProgram(t, "setpriv", "util-linux")
	outDir := t.TempDir()
	for _, d := range []string{filepath.Dir(outDir), outDir} {
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(outDir, "nobody.psnap")
	prefix := []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
	r := faultStartProcsnap(t, tools, outDir, prefix, faultCaptureArgs(path, "", tg.PID)...).wait(faultHang)
	tg.requireRunning(t, "an unprivileged capture")
	want := fmt.Sprintf("procsnap capture: cannot trace PID %d: operation not permitted: the target runs as uid 0 "+
		"and procsnap as uid 65534 (run procsnap as root, or with CAP_SYS_PTRACE)\n", tg.PID)
	if r.code != 1 || r.stderr != want {
		t.Errorf("as nobody: %s;\nwant exit 1 and %q", r, want)
	}
	if ents, _ := os.ReadDir(outDir); len(ents) != 0 {
		t.Errorf("a refused capture left %d files in the output directory (%s...)", len(ents), ents[0].Name())
	}
}

// faultAlreadyTraced captures a target that another process traces.
func faultAlreadyTraced(t *testing.T, tools faultTools, tg *faultTarget, dir string) {
	tracer := proctest.StartTracer(t, tg.PID)
	comm, _ := procfs.Default().Comm(tracer.PID)
	path := filepath.Join(dir, "traced.psnap")
	r := faultRunProcsnap(t, tools, dir, faultHang, faultCaptureArgs(path, "", tg.PID)...)
	want := fmt.Sprintf("procsnap capture: PID %d is already traced by PID %d (%s): a process has one tracer at a time; "+
		"detach that debugger or tracer and retry\n", tg.PID, tracer.PID, comm)
	if r.code != 1 || r.stderr != want {
		t.Errorf("capture of a traced target: %s;\nwant exit 1 and %q\n(the tracer is process %d, its tracing thread is %d)",
			r, want, tracer.PID, tracer.TID)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("a refused capture left %s behind", path)
	}
	tracer.End()
	tg.requireRunning(t, "a capture of an already traced target")
}
