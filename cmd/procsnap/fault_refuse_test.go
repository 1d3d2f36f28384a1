package main

// Captures that procsnap must refuse before it touches the target: not
// permitted, or the target already traced.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// faultUnprivileged runs procsnap as nobody against a root target.
func faultUnprivileged(t *testing.T, tools faultTools, tg *faultTarget) {
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv (util-linux) is not installed")
	}
	outDir := t.TempDir()
	for _, d := range []string{filepath.Dir(outDir), outDir} {
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(outDir, "nobody.psnap")
	prefix := []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
	r := faultStartProcsnap(t, tools, outDir, prefix, faultCaptureArgs(path, "", tg.pid)...).wait(faultHang)
	tg.requireRunning(t, "an unprivileged capture")
	want := fmt.Sprintf("procsnap capture: cannot trace PID %d: operation not permitted: the target runs as uid 0 "+
		"and procsnap as uid 65534 (run procsnap as root, or with CAP_SYS_PTRACE)\n", tg.pid)
	if r.code != 1 || r.stderr != want {
		t.Errorf("as nobody: %s;\nwant exit 1 and %q", r, want)
	}
	if ents, _ := os.ReadDir(outDir); len(ents) != 0 {
		t.Errorf("a refused capture left %d files in the output directory (%s...)", len(ents), ents[0].Name())
	}
}

// faultTracerEnv names the target that TestFaultHelperTracer seizes.
const faultTracerEnv = "PROCSNAP_FAULT_SEIZE"

// TestFaultHelperTracer is not a test: re-executed with PROCSNAP_FAULT_SEIZE
// set, it holds a PTRACE_SEIZE on that process (from a locked OS thread, as
// a Go debugger does) until its stdin closes.
func TestFaultHelperTracer(t *testing.T) {
	target := os.Getenv(faultTracerEnv)
	if target == "" {
		t.Skip("helper process of TestFaultCapture/already-traced")
	}
	pid, _ := strconv.Atoi(target)
	// Seize from a thread other than the main one, as a Go debugger does:
	// the tracer is then a thread whose id is not the process id. This
	// goroutine holds its thread, so the seizing goroutine gets another.
	runtime.LockOSThread()
	seized := make(chan string)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the process
		if unix.Gettid() == os.Getpid() {
			seized <- "still on the main thread"
			return
		}
		if err := unix.PtraceSeize(pid); err != nil {
			seized <- fmt.Sprintf("seize %d: %v", pid, err)
			return
		}
		seized <- fmt.Sprintf("seized by tid %d", unix.Gettid())
		select {}
	}()
	fmt.Println(<-seized)
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// faultAlreadyTraced captures a target that another process traces.
func faultAlreadyTraced(t *testing.T, tools faultTools, tg *faultTarget, dir string) {
	helper := exec.Command(os.Args[0], "-test.run=^TestFaultHelperTracer$")
	helper.Env = append(os.Environ(), faultTracerEnv+"="+strconv.Itoa(tg.pid))
	stdin, err := helper.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = helper.Wait() }()
	line := make([]byte, 64)
	n, _ := stdout.Read(line)
	if !strings.HasPrefix(string(line[:n]), "seized") {
		t.Fatalf("helper tracer: %q", line[:n])
	}
	tracerTid := strings.TrimSpace(strings.TrimPrefix(string(line[:n]), "seized by tid "))
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", helper.Process.Pid))
	path := filepath.Join(dir, "traced.psnap")
	r := faultRunProcsnap(t, tools, dir, faultHang, faultCaptureArgs(path, "", tg.pid)...)
	want := fmt.Sprintf("procsnap capture: PID %d is already traced by PID %d (%s): a process has one tracer at a time; "+
		"detach that debugger or tracer and retry\n", tg.pid, helper.Process.Pid, strings.TrimSpace(string(comm)))
	if r.code != 1 || r.stderr != want {
		t.Errorf("capture of a traced target: %s;\nwant exit 1 and %q\n(the tracer is process %d, its tracing thread is %s)",
			r, want, helper.Process.Pid, tracerTid)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("a refused capture left %s behind", path)
	}
	stdin.Close()
	_ = helper.Wait()
	tg.requireRunning(t, "a capture of an already traced target")
}
