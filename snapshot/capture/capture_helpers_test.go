package capture

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"golang.org/x/sys/unix"
)

// The capture tests run real targets under real ptrace: C programs from
// testdata/capture, built once per test binary, or prebuilt where
// PROCSNAP_TEST_TARGETS names a directory (make test-kernels' guest has no
// gcc): testdata/capture/NAME.c is then DIR/capture/NAME.

// targetsEnv names a directory of prebuilt test targets.
const targetsEnv = "PROCSNAP_TEST_TARGETS"

var (
	buildOnce sync.Once
	buildDir  string // a temporary directory this test binary built into
	targetDir string // where the targets are
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// targetBin returns the path of the built (or prebuilt) testdata/capture/NAME.c.
func targetBin(tb testing.TB, name string) string {
	tb.Helper()
	buildOnce.Do(func() {
		if dir := os.Getenv(targetsEnv); dir != "" {
			targetDir = filepath.Join(dir, "capture")
			return
		}
		gcc, err := exec.LookPath("gcc")
		if err != nil {
			buildErr = fmt.Errorf("gcc is needed to build the capture targets (or prebuilt ones in $%s): %w", targetsEnv, err)
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "procsnap-capture-test-"); buildErr != nil {
			return
		}
		targetDir = buildDir
		for _, n := range []string{"threads", "content", "shmem", "churn", "shared"} {
			src := filepath.Join("..", "..", "testdata", "capture", n+".c")
			out, err := exec.Command(gcc, "-O2", "-Wall", "-pthread", "-o", filepath.Join(buildDir, n), src).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("build %s: %v\n%s", src, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return filepath.Join(targetDir, name)
}

// proc is a running target.
type proc struct {
	pid   int
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines []string // what it printed up to its ready line
}

// startProc starts a target and reads its stdout up to the line starting
// with "ready". The target is killed when the test ends.
func startProc(tb testing.TB, bin string, args ...string) *proc {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	p := &proc{pid: cmd.Process.Pid, cmd: cmd, stdin: stdin}
	ch := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines = append(p.lines, sc.Text())
			if strings.HasPrefix(sc.Text(), "ready") {
				ch <- nil
				io.Copy(io.Discard, out)
				return
			}
		}
		ch <- fmt.Errorf("%s ended its output before ready: %v", filepath.Base(bin), sc.Err())
	}()
	select {
	case err := <-ch:
		if err != nil {
			tb.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		tb.Fatalf("%s not ready after 20 s", filepath.Base(bin))
	}
	return p
}

// threadsTarget is a running testdata/capture/threads.c.
type threadsTarget struct {
	*proc
	a, b   uint64 // the two counter arrays
	n      int    // slots
	big    uint64
	bigLen uint64
}

func startThreads(tb testing.TB, threads, bigMiB int) *threadsTarget {
	tb.Helper()
	p := startProc(tb, targetBin(tb, "threads"), strconv.Itoa(threads), strconv.Itoa(bigMiB))
	tg := &threadsTarget{proc: p}
	ready := p.lines[len(p.lines)-1]
	for _, f := range strings.Fields(ready)[1:] {
		k, v, _ := strings.Cut(f, "=")
		x, err := strconv.ParseUint(v, 0, 64)
		if err != nil && v != "(nil)" {
			tb.Fatalf("threads target said %q", ready)
		}
		switch k {
		case "A":
			tg.a = x
		case "B":
			tg.b = x
		case "N":
			tg.n = int(x)
		case "BIG":
			tg.big = x
		case "BIGLEN":
			tg.bigLen = x
		}
	}
	if tg.a == 0 || tg.b == 0 || tg.n != threads+1 {
		tb.Fatalf("threads target said %q", ready)
	}
	return tg
}

// liveCounters reads both counter arrays of the running target.
func (tg *threadsTarget) liveCounters(tb testing.TB) (a, b []uint64) {
	tb.Helper()
	return words(readMem(tb, tg.pid, tg.a, 8*tg.n)), words(readMem(tb, tg.pid, tg.b, 8*tg.n))
}

func words(b []byte) []uint64 {
	w := make([]uint64, len(b)/8)
	for i := range w {
		w[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return w
}

// readMem reads the target's memory through /proc/PID/mem.
func readMem(tb testing.TB, pid int, addr uint64, n int) []byte {
	tb.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, n)
	if _, err := unix.Pread(int(f.Fd()), buf, int64(addr)); err != nil {
		tb.Fatalf("read %d bytes at %#x of PID %d: %v", n, addr, pid, err)
	}
	return buf
}

// taskStates maps every tid of pid to the state letter of its stat file.
func taskStates(tb testing.TB, pid int) map[int]byte {
	tb.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		tb.Fatal(err)
	}
	st := make(map[int]byte, len(ents))
	for _, e := range ents {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, e.Name()))
		if err != nil {
			continue // exited since the listing
		}
		s := string(b)
		rest := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		tid, _ := strconv.Atoi(e.Name())
		st[tid] = rest[0][0]
	}
	return st
}

// checkNotStopped fails if any task of pid is stopped ('t' or 'T').
func checkNotStopped(tb testing.TB, pid int) {
	tb.Helper()
	for tid, s := range taskStates(tb, pid) {
		if s == 't' || s == 'T' {
			tb.Errorf("task %d of PID %d is in state %c, want it running", tid, pid, s)
		}
	}
}

// waitAll waits up to 10 s until every task of pid is in state want.
func waitAll(tb testing.TB, pid int, want byte) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := taskStates(tb, pid)
		ok := len(st) > 0
		for _, s := range st {
			ok = ok && s == want
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after 10 s the tasks of PID %d are %s, want all %c", pid, statesString(st), want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func statesString(st map[int]byte) string {
	var b strings.Builder
	for tid, s := range st {
		fmt.Fprintf(&b, "%d:%c ", tid, s)
	}
	return b.String()
}

// sigstop stops pid with SIGSTOP and waits until every task is stopped.
// The target gets SIGCONT when the test ends (before its kill).
func sigstop(tb testing.TB, pid int) {
	tb.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })
	waitAll(tb, pid, 'T')
}

// checkAdvancing waits up to 10 s until every counter slot of the running
// target has moved past before, and checks that no task is stopped.
func (tg *threadsTarget) checkAdvancing(tb testing.TB) {
	tb.Helper()
	_, before := tg.liveCounters(tb)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, after := tg.liveCounters(tb)
		moved := 0
		for i := range after {
			if after[i] > before[i] {
				moved++
			}
		}
		if moved == len(after) {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after 10 s only %d of %d counters moved: the target does not run", moved, len(after))
		}
		time.Sleep(5 * time.Millisecond)
	}
	checkNotStopped(tb, tg.pid)
}

// captureFile captures pid into a file in a temporary directory and opens it.
func captureFile(tb testing.TB, pid int, opts Options) (*format.Reader, *Result, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "capture.psnap")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, pid, f, opts)
	if cerr := f.Close(); cerr != nil {
		tb.Fatal(cerr)
	}
	if err != nil {
		tb.Fatalf("Run(%d): %v", pid, err)
	}
	r, err := format.Open(path)
	if err != nil {
		tb.Fatalf("open the archive: %v", err)
	}
	tb.Cleanup(func() { r.Close() })
	if !res.Complete || !r.Complete() {
		tb.Errorf("capture incomplete: Result.Complete %v (%q), Reader.Complete %v", res.Complete, res.Reason, r.Complete())
	}
	if p := r.Problems(); len(p) > 0 || r.Recovered() != "" {
		tb.Errorf("archive problems %v, recovered %q", p, r.Recovered())
	}
	if v := r.Verify(context.Background()); !v.OK {
		tb.Errorf("verify: %+v", v.Problems)
	}
	return r, res, path
}

// archiveBytes reads [addr, addr+n) from the archive, across adjacent
// regions: data and zero pages only; anything else fails the test.
func archiveBytes(tb testing.TB, r *format.Reader, addr uint64, n int) []byte {
	tb.Helper()
	out := make([]byte, 0, n)
	for end := addr + uint64(n); addr < end; {
		g := r.Find(addr)
		if g == nil {
			tb.Fatalf("no region holds %#x", addr)
		}
		hi := min(end, g.Desc.End)
		err := r.ReadRange(g, addr, hi, func(run format.Run) error {
			switch {
			case run.Data != nil:
				out = append(out, run.Data...)
			case run.State == format.PageZero:
				out = append(out, make([]byte, run.End-run.Start)...)
			default:
				return fmt.Errorf("%#x-%#x is %v (errno %d)", run.Start, run.End, run.State, run.Errno)
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("read %#x-%#x from region %d (%s): %v", addr, hi, g.Desc.Index, g.Desc.MapsLine, err)
		}
		addr = hi
	}
	return out
}
