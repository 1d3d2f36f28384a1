package main

// Helpers of the capture verb's live tests: build procsnap and the C target
// of testdata/capture, run them, watch the target's task states.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"golang.org/x/sys/unix"
)

// captTools are the binaries of the capture tests.
type captTools struct {
	procsnap string // built from this tree
	threads  string // testdata/capture/threads.c
}

// captBuild builds procsnap and the threads target.
func captBuild(t *testing.T) captTools {
	t.Helper()
	tools := captTools{procsnap: procsnapBinary(t), threads: filepath.Join(t.TempDir(), "threads")}
	buildC(t, "capture/threads.c", tools.threads)
	return tools
}

// captTarget is a running testdata/capture/threads.c: its slots hold
// counters at a (written first) and b.
type captTarget struct {
	pid  int
	a, b uint64
	n    int
}

// captStart starts the threads target and waits for its ready line. It is
// killed when t ends.
func captStart(t *testing.T, tools captTools, threads, bigMiB int) *captTarget {
	t.Helper()
	cmd := exec.Command(tools.threads, strconv.Itoa(threads), strconv.Itoa(bigMiB))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
		io.Copy(io.Discard, out)
	}()
	var ready string
	select {
	case ready = <-line:
	case <-time.After(20 * time.Second):
		t.Fatal("threads target not ready after 20 s")
	}
	tg := &captTarget{pid: cmd.Process.Pid}
	for _, f := range strings.Fields(ready) {
		k, v, _ := strings.Cut(f, "=")
		x, _ := strconv.ParseUint(v, 0, 64)
		switch k {
		case "A":
			tg.a = x
		case "B":
			tg.b = x
		case "N":
			tg.n = int(x)
		}
	}
	if tg.a == 0 || tg.b == 0 || tg.n != threads+1 {
		t.Fatalf("threads target said %q", ready)
	}
	return tg
}

// counters reads slot counters b of the target through /proc/PID/mem.
func (tg *captTarget) counters(t *testing.T) []uint64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/mem", tg.pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 8*tg.n)
	if _, err := unix.Pread(int(f.Fd()), buf, int64(tg.b)); err != nil {
		t.Fatalf("read the counters of PID %d: %v", tg.pid, err)
	}
	c := make([]uint64, tg.n)
	for i := range c {
		c[i] = binary.LittleEndian.Uint64(buf[8*i:])
	}
	return c
}

// states maps every task of the target to its state letter.
func (tg *captTarget) states(t *testing.T) map[string]byte {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", tg.pid))
	if err != nil {
		t.Fatal(err)
	}
	st := map[string]byte{}
	for _, e := range ents {
		if s := captState(fmt.Sprintf("/proc/%d/task/%s/stat", tg.pid, e.Name())); s != 0 {
			st[e.Name()] = s
		}
	}
	return st
}

// captState is the state letter of a stat file, 0 if it cannot be read.
func captState(path string) byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// checkRunning checks that no task of the target is stopped and that
// every counter moves within 10 s.
func (tg *captTarget) checkRunning(t *testing.T) {
	t.Helper()
	before := tg.counters(t)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		after, moved := tg.counters(t), 0
		for i := range after {
			if after[i] > before[i] {
				moved++
			}
		}
		if moved == len(after) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d counters moved in 10 s: the target does not run (states %v)", moved, len(after), tg.states(t))
		}
	}
	for tid, s := range tg.states(t) {
		if s == 't' || s == 'T' {
			t.Errorf("task %s of PID %d is in state %c", tid, tg.pid, s)
		}
	}
}

// waitAll waits up to 10 s until every task of the target is in state want.
func (tg *captTarget) waitAll(t *testing.T, want byte) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		st, ok := tg.states(t), true
		for _, s := range st {
			ok = ok && s == want
		}
		if ok && len(st) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tasks of PID %d: %v, want all %c", tg.pid, st, want)
		}
	}
}

// sigstop stops the target and waits until every task is stopped.
func (tg *captTarget) sigstop(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(tg.pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	tg.waitAll(t, 'T')
}

// captOpen opens an archive; it is closed when t ends.
func captOpen(t *testing.T, path string) *format.Reader {
	t.Helper()
	r, err := format.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// captSHA256Line returns the digest of the summary's last line, which
// names the archive as sha256sum does.
func captSHA256Line(t *testing.T, stderr, name string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	sum, file, ok := strings.Cut(last, "  ")
	if !ok || file != name || len(sum) != 64 {
		t.Fatalf("last line of the summary is %q, want \"<sha256>  %s\"", last, name)
	}
	return sum
}

// sha256sum runs sha256sum on path.
func sha256sum(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("sha256sum", path).Output()
	if err != nil {
		t.Fatalf("sha256sum %s: %v", path, err)
	}
	sum, _, _ := strings.Cut(string(out), " ")
	return sum
}
