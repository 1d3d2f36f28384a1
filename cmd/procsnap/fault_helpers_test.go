package main

// Helpers of the fault and hostile-input suite (issue 9): building procsnap
// and the C programs, running them as separate processes, and checking that
// the target runs on.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
	"golang.org/x/sys/unix"
)

// faultLong reports whether the long mode is on (make fuzz sets
// PROCSNAP_LONG=1): more signal points, more mutated archives.
func faultLong() bool { return os.Getenv("PROCSNAP_LONG") != "" }

// faultCount is n, or long in the long mode.
func faultCount(n, long int) int {
	if faultLong() {
		return long
	}
	return n
}

// faultTools are the binaries the suite runs, in a directory that the
// unprivileged user can read.
type faultTools struct {
	procsnap string
	target   string // testdata/fault/target.c
	rss      string // testdata/fault/rss.c
}

// buildFaultTools builds (once per test binary) procsnap, the RSS reporter
// and, when withTarget, the C target.
func buildFaultTools(t *testing.T, withTarget bool) faultTools {
	t.Helper()
	tools := faultTools{procsnap: proctest.Procsnap(t), rss: proctest.BuildC(t, "fault/rss.c")}
	if withTarget {
		tools.target = proctest.BuildC(t, "fault/target.c")
	}
	return tools
}

// faultRequireRoot skips when this process cannot trace others at all.
func faultRequireRoot(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("capture needs linux/amd64, this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	if os.Geteuid() != 0 {
		t.Skip("the capture fault suite needs root (ptrace of a process, tmpfs mounts, setpriv)")
	}
}

// faultTarget is a running testdata/fault/target.c.
type faultTarget struct {
	*proctest.Proc
	mode    string
	slots   int
	ctrPath string
}

// startFaultTarget starts the target and waits until its heap is filled and
// its threads run. It is killed when t ends.
func startFaultTarget(t *testing.T, tools faultTools, mode string, threads, heapMiB int) *faultTarget {
	t.Helper()
	ctr := filepath.Join(t.TempDir(), "counters")
	p := proctest.Start(t, exec.Command(tools.target, mode, strconv.Itoa(threads), strconv.Itoa(heapMiB), ctr))
	tg := &faultTarget{Proc: p, mode: mode, slots: threads, ctrPath: ctr}
	proctest.WaitFor(t, 30*time.Second, fmt.Sprintf("target (%s) not ready", mode), func() bool {
		if !tg.alive() {
			t.Fatalf("target (%s) exited before it was ready: %s", mode, tg.ended())
		}
		c, err := tg.counters()
		return err == nil && c.ready == 1
	})
	return tg
}

func (tg *faultTarget) alive() bool { return !tg.Exited() }

// ended says how the target ended, once it has.
func (tg *faultTarget) ended() string {
	tg.Wait()
	return tg.Cmd.ProcessState.String()
}

type faultCounters struct {
	ready, pid, slots, children uint64
	counter                     []uint64
}

// counters reads the target's shared counters file.
func (tg *faultTarget) counters() (faultCounters, error) {
	b, err := os.ReadFile(tg.ctrPath)
	if err != nil {
		return faultCounters{}, err
	}
	if len(b) < 32+8*tg.slots {
		return faultCounters{}, fmt.Errorf("counters file of %d bytes", len(b))
	}
	u := func(i int) uint64 { return binary.LittleEndian.Uint64(b[8*i:]) }
	c := faultCounters{ready: u(0), pid: u(1), slots: u(2), children: u(3)}
	for i := range tg.slots {
		c.counter = append(c.counter, u(4+i))
	}
	return c, nil
}

// stoppedTasks lists the target's tasks that are stopped ('t' or 'T').
func (tg *faultTarget) stoppedTasks() []string {
	st, _ := proctest.ReadStates(tg.PID)
	var out []string
	for _, tid := range st.Stopped() {
		out = append(out, fmt.Sprintf("tid %d state %c", tid, st[tid]))
	}
	return out
}

// stoppedChildren lists the target's child processes that are stopped.
func (tg *faultTarget) stoppedChildren() []string {
	kids, _ := proctest.Children(tg.PID)
	var out []string
	for _, kid := range kids {
		if s := proctest.ProcState(kid); s == 't' || s == 'T' {
			out = append(out, fmt.Sprintf("child %d state %c", kid, s))
		}
	}
	return out
}

// requireRunning fails t unless the target is alive, none of its tasks (nor,
// in fork mode, its children) is stopped, and every counter advances.
func (tg *faultTarget) requireRunning(t *testing.T, after string) {
	t.Helper()
	if !tg.alive() {
		t.Fatalf("after %s: the target died: %s", after, tg.ended())
	}
	// procsnap has exited and been reaped: the kernel has detached every
	// task by now. Allow a moment anyway before calling it a bug.
	deadline := time.Now().Add(time.Second)
	for {
		stopped := append(tg.stoppedTasks(), tg.stoppedChildren()...)
		if len(stopped) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: the target is left stopped: %s", after, strings.Join(stopped, ", "))
		}
		time.Sleep(20 * time.Millisecond)
	}
	before, err := tg.counters()
	if err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		now, err := tg.counters()
		if err != nil {
			t.Fatal(err)
		}
		var stuck []string
		for i := range now.counter {
			if now.counter[i] <= before.counter[i] {
				stuck = append(stuck, strconv.Itoa(i))
			}
		}
		if tg.mode == "fork" && now.children <= before.children {
			stuck = append(stuck, "forker")
		}
		if len(stuck) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: the target's counters %s did not advance in 5s (tasks: %v)", after, strings.Join(stuck, ","), tg.taskStates())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// taskStates are the target's task states (none if it is gone).
func (tg *faultTarget) taskStates() proctest.States {
	st, _ := proctest.ReadStates(tg.PID)
	return st
}

// faultRun is the outcome of one procsnap process.
type faultRun struct {
	code     int            // exit code; -1 when killed by a signal
	signal   syscall.Signal // the signal that killed it, if any
	stdout   string
	stderr   string
	elapsed  time.Duration
	maxRSSKB int64
	hung     bool
}

func (r faultRun) String() string {
	s := fmt.Sprintf("exit %d", r.code)
	if r.signal != 0 {
		s = "killed by " + unix.SignalName(r.signal)
	}
	if r.hung {
		s += " (HUNG, killed by the test)"
	}
	return fmt.Sprintf("%s after %v, stderr %q", s, r.elapsed.Round(time.Millisecond), r.stderr)
}

// faultProc is a procsnap process started by faultStartProcsnap.
type faultProc struct {
	cmd            *exec.Cmd
	stdout, stderr *bytes.Buffer
	start          time.Time
	rssFile        string // set by measureRSS
}

// faultNewProcsnap prepares a procsnap process with args, run in dir. prefix
// (e.g. setpriv ...) runs it through another program.
func faultNewProcsnap(tools faultTools, dir string, prefix []string, args ...string) *faultProc {
	argv := append(append(append([]string{}, prefix...), tools.procsnap), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a hang kills the group
	p := &faultProc{cmd: cmd, stdout: new(bytes.Buffer), stderr: new(bytes.Buffer)}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	return p
}

// faultMeasured prepares procsnap under testdata/fault/rss.c, which reports
// its true peak RSS (see rss.c for why wait4's rusage here would not).
func faultMeasured(tools faultTools, dir string, args ...string) *faultProc {
	rssFile := filepath.Join(dir, "maxrss")
	os.Remove(rssFile)
	p := faultNewProcsnap(tools, dir, []string{tools.rss, rssFile}, args...)
	p.rssFile = rssFile
	return p
}

// begin starts p.
func (p *faultProc) begin(t *testing.T) {
	t.Helper()
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start procsnap: %v", err)
	}
}

// faultStartProcsnap starts procsnap with args in dir.
func faultStartProcsnap(t *testing.T, tools faultTools, dir string, prefix []string, args ...string) *faultProc {
	t.Helper()
	p := faultNewProcsnap(tools, dir, prefix, args...)
	p.begin(t)
	return p
}

// wait waits for the process, killing it after timeout (a hang).
func (p *faultProc) wait(timeout time.Duration) faultRun {
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	var r faultRun
	select {
	case <-done:
	case <-time.After(timeout):
		r.hung = true
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) // its process group
		<-done
	}
	r.elapsed = time.Since(p.start)
	st := p.cmd.ProcessState
	r.code = st.ExitCode()
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.signal = ws.Signal()
	}
	if p.rssFile != "" {
		b, _ := os.ReadFile(p.rssFile)
		r.maxRSSKB, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if r.code > 128 && r.code < 128+65 {
			r.code, r.signal = -1, syscall.Signal(r.code-128)
		}
	} else if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		r.maxRSSKB = ru.Maxrss
	}
	r.stdout, r.stderr = p.stdout.String(), p.stderr.String()
	return r
}

// faultRunProcsnap runs procsnap to the end (at most timeout).
func faultRunProcsnap(t *testing.T, tools faultTools, dir string, timeout time.Duration, args ...string) faultRun {
	t.Helper()
	return faultStartProcsnap(t, tools, dir, nil, args...).wait(timeout)
}
