package ptrace

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The tests run real targets under real ptrace: a C program built from
// testdata/ptrace/target.c (or prebuilt as DIR/ptrace/target where
// PROCSNAP_TEST_TARGETS names DIR: make test-kernels' guest has no gcc),
// and helper processes re-executing this test binary.

const (
	helperEnv  = "PROCSNAP_PTRACE_HELPER"
	targetsEnv = "PROCSNAP_TEST_TARGETS"
)

var (
	buildOnce sync.Once
	buildDir  string
	targetBin string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// targetPath builds the C target once per test binary, unless it is prebuilt.
func targetPath(tb testing.TB) string {
	buildOnce.Do(func() {
		if dir := os.Getenv(targetsEnv); dir != "" {
			targetBin = filepath.Join(dir, "ptrace", "target")
			return
		}
		gcc, err := exec.LookPath("gcc")
		if err != nil {
			buildErr = fmt.Errorf("gcc is needed to build the test target (or a prebuilt one in $%s): %w", targetsEnv, err)
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "ptrace-test-"); buildErr != nil {
			return
		}
		targetBin = filepath.Join(buildDir, "target")
		src := filepath.Join("..", "..", "..", "testdata", "ptrace", "target.c")
		out, err := exec.Command(gcc, "-O2", "-Wall", "-pthread", "-o", targetBin, src).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build %s: %v\n%s", src, err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return targetBin
}

// target is a running test target. Its counters[0] counts SIGUSR1; the
// others grow while their thread runs.
type target struct {
	pid  int
	tid  int // a live thread to read memory through: a zombie leader has none
	mode string
	cmd  *exec.Cmd
	addr uintptr
	n    int
}

func startTarget(tb testing.TB, threads, busy int, sleep time.Duration, mode string) *target {
	tb.Helper()
	cmd := exec.Command(targetPath(tb), strconv.Itoa(threads), strconv.Itoa(busy),
		strconv.FormatInt(sleep.Microseconds(), 10), mode)
	cmd.Stderr = os.Stderr
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
	f := strings.Fields(readLine(tb, out))
	if len(f) != 3 || f[0] != "ready" {
		tb.Fatalf("target said %q, want ready ADDR N", f)
	}
	addr, err1 := strconv.ParseUint(f[1], 0, 64)
	n, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		tb.Fatalf("target said %q", f)
	}
	tg := &target{pid: cmd.Process.Pid, tid: cmd.Process.Pid, mode: mode, cmd: cmd, addr: uintptr(addr), n: n}
	if mode == "leader-exit" {
		tids, err := readTasks(tg.pid)
		if err != nil {
			tb.Fatal(err)
		}
		tg.tid = slices.Max(tids)
	}
	return tg
}

// readLine reads one line from a child, failing after 10 s.
func readLine(tb testing.TB, r io.Reader) string {
	tb.Helper()
	ch := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		ch <- strings.TrimSpace(line)
	}()
	select {
	case line := <-ch:
		return line
	case <-time.After(10 * time.Second):
		tb.Fatal("child did not answer in 10 s")
		return ""
	}
}

// counters reads the target's counters with process_vm_readv.
func (tg *target) counters(tb testing.TB) []uint64 {
	tb.Helper()
	buf := make([]byte, 8*tg.n)
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(len(buf))
	remote := []unix.RemoteIovec{{Base: tg.addr, Len: len(buf)}}
	n, err := unix.ProcessVMReadv(tg.tid, local, remote, 0)
	if err != nil || n != len(buf) {
		tb.Fatalf("process_vm_readv %d: %d bytes, %v", tg.tid, n, err)
	}
	c := make([]uint64, tg.n)
	for i := range c {
		c[i] = binary.LittleEndian.Uint64(buf[8*i:])
	}
	return c
}

// threadStates maps each tid of /proc/PID/task to its state letter.
func threadStates(tb testing.TB, pid int) map[int]byte {
	tb.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		tb.Fatal(err)
	}
	st := make(map[int]byte)
	for _, e := range ents {
		tid, _ := strconv.Atoi(e.Name())
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/stat", pid, tid))
		if err != nil {
			continue // exited since the listing
		}
		s := string(b)
		st[tid] = strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0][0]
	}
	return st
}

// waitFor polls cond for up to 5 s.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("after 5 s: %s", what)
		}
	}
}

func freeze(tb testing.TB, pid int) *Frozen {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := Freeze(ctx, pid, nil)
	if err != nil {
		tb.Fatalf("Freeze(%d): %v", pid, err)
	}
	tb.Cleanup(func() { f.Thaw() })
	return f
}

// checkStopped checks that every thread is in a ptrace stop ('t') and that
// no counter moves. frozen, if not nil, must hold every live thread.
func checkStopped(tb testing.TB, tg *target, frozen []int) {
	tb.Helper()
	before := tg.counters(tb)
	for tid, s := range threadStates(tb, tg.pid) {
		if s == 'Z' || s == 'X' {
			continue // a zombie leader, or a thread that was exiting
		}
		if s != 't' {
			tb.Errorf("thread %d is in state %c while frozen, want t", tid, s)
		}
		if frozen != nil && !slices.Contains(frozen, tid) {
			tb.Errorf("thread %d is not in Tasks()", tid)
		}
	}
	time.Sleep(30 * time.Millisecond)
	if after := tg.counters(tb); !slices.Equal(before, after) {
		tb.Errorf("counters moved while frozen:\n%v\n%v", before, after)
	}
}

// checkRunning waits until every counting thread has counted again and every
// thread is running or sleeping (a zombie leader stays a zombie).
func checkRunning(tb testing.TB, tg *target) {
	tb.Helper()
	before := tg.counters(tb)
	waitFor(tb, "every thread of the target runs again", func() bool {
		after := tg.counters(tb)
		for i := 1; i < tg.n; i++ {
			if after[i] == before[i] {
				return false
			}
		}
		for tid, s := range threadStates(tb, tg.pid) {
			if s != 'S' && s != 'R' && (s != 'Z' || tid != tg.pid || tg.mode != "leader-exit") {
				return false
			}
		}
		return true
	})
}

// startHelper re-executes the test binary as TestHelperProcess doing arg and
// returns it with the first line it printed.
func startHelper(tb testing.TB, arg string) (*exec.Cmd, string) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+arg)
	cmd.Stderr = os.Stderr
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
	return cmd, readLine(tb, out)
}

// TestHelperProcess is not a test: it is the body of the helper processes
// of the tests. "freeze PID" freezes PID and sleeps; "seize TID" holds TID
// under PTRACE_SEIZE and sleeps.
func TestHelperProcess(t *testing.T) {
	verb, arg, ok := strings.Cut(os.Getenv(helperEnv), " ")
	if !ok {
		t.Skip("runs only as a helper process")
	}
	n, _ := strconv.Atoi(arg)
	switch verb {
	case "freeze":
		f, err := Freeze(context.Background(), n, nil)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("frozen", len(f.Tasks()))
		time.Sleep(time.Hour)
		runtime.KeepAlive(f) // dropping f would thaw the target
	case "seize":
		runtime.LockOSThread()
		if err := unix.PtraceSeize(n); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("seized")
		time.Sleep(time.Hour)
	}
	os.Exit(2)
}
