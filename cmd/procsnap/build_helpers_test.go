package main

// The binaries the tests run as separate processes, built once per test
// binary: procsnap itself and the C targets under testdata.

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

var procsnapBuild struct {
	once sync.Once
	path string
	out  []byte
	err  error
}

// procsnapBinary builds procsnap from this tree once, into a directory that
// every user can read (the unprivileged tests run it as nobody), and
// returns its path. The directory is removed when the test binary exits.
func procsnapBinary(t *testing.T) string {
	t.Helper()
	b := &procsnapBuild
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "procsnap-test-bin-")
		if err == nil {
			err = os.Chmod(dir, 0o755)
		}
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "procsnap")
		// The procsnaptest tag adds the fault suite's hook (testhook_on.go).
		cmd := exec.Command(goTool(), "build", "-tags", "procsnaptest", "-o", b.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("go build procsnap: %v\n%s", b.err, b.out)
	}
	return b.path
}

// goTool is the go command of the toolchain running the tests.
func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		return "go"
	}
	return p
}

// buildC compiles the C program testdata/DIR/NAME.c into bin.
func buildC(t *testing.T, src, bin string) {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", "..", "testdata", src))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-O2", "-Wall", "-pthread", "-o", bin, abs).CombinedOutput(); err != nil {
		t.Fatalf("gcc testdata/%s (the live tests need gcc): %v\n%s", src, err, out)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if p := procsnapBuild.path; p != "" {
		os.RemoveAll(filepath.Dir(p))
	}
	os.Exit(code)
}

// startPiped starts a live target with pipes to its stdin and from its
// stdout. When t ends, stdin is closed (the targets exit at EOF), a
// stopped target is resumed, and one that has not exited within 5 s is
// killed.
func startPiped(t *testing.T, cmd *exec.Cmd) (io.WriteCloser, io.ReadCloser) {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return stdin, stdout
}
