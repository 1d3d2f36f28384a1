package realprog

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// running is a program the test started. It is bounded in time: the test
// stops it when it ends, and the kernel kills it if the test binary dies.
type running struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser // a target's; nil for a server
	lines chan string    // a target's stdout; nil for a server
	log   string         // file that receives its stderr (a server's stdout too)
	sig   syscall.Signal // what stops it
}

// startTarget starts a target program: it reads the secret from stdin,
// says "ready" on stdout and exits at the end of stdin or on SIGTERM.
func startTarget(t *testing.T, cmd *exec.Cmd) *running {
	t.Helper()
	r := &running{cmd: cmd, sig: syscall.SIGTERM}
	var err error
	if r.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	var pw *os.File
	r.lines, pw = pipeLines(t)
	defer pw.Close() // the child holds its own copy
	cmd.Stdout = pw
	r.launch(t)
	return r
}

// startServer starts a server, or a load generator, with its output in
// its log. stop is the signal that stops it.
func startServer(t *testing.T, cmd *exec.Cmd, stop syscall.Signal) *running {
	t.Helper()
	r := &running{cmd: cmd, sig: stop}
	r.launch(t)
	return r
}

// launch starts the program with its stderr (and stdout if not yet set) in
// a log file, and stops it when t ends.
func (r *running) launch(t *testing.T) {
	t.Helper()
	r.log = filepath.Join(t.TempDir(), "log")
	logf, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := r.cmd
	cmd.Stderr = logf
	if cmd.Stdout == nil {
		cmd.Stdout = logf
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			t.Logf("%s\n%s", r.cmd, r.tail())
		}
	})
}

// stop sends SIGCONT and the stop signal, closes stdin, and kills the
// program if it has not exited within 10 s. Calling it again does nothing.
func (r *running) stop() {
	if r.cmd.ProcessState != nil {
		return
	}
	p := r.cmd.Process
	p.Signal(syscall.SIGCONT)
	p.Signal(r.sig)
	if r.stdin != nil {
		r.stdin.Close()
	}
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.Kill()
		<-done
	}
}

// pipeLines returns the write end of a pipe and a channel that gets what
// is written, line by line; lines nobody reads are dropped. The channel
// is closed at EOF.
func pipeLines(t *testing.T) (chan string, *os.File) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		defer pr.Close()
		defer close(lines)
		s := bufio.NewScanner(pr)
		for s.Scan() {
			select {
			case lines <- s.Text():
			default:
			}
		}
	}()
	return lines, pw
}

func (r *running) pid() int { return r.cmd.Process.Pid }

// ready sends the secret on stdin and waits for the "ready" line.
func (r *running) ready(t *testing.T, secret string, timeout time.Duration) {
	t.Helper()
	if _, err := io.WriteString(r.stdin, secret+"\n"); err != nil {
		t.Fatalf("send the secret: %v", err)
	}
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-r.lines:
			if !ok {
				t.Fatalf("%s exited before it was ready\n%s", r.cmd, r.tail())
			}
			if line == "ready" {
				return
			}
		case <-deadline:
			t.Fatalf("%s not ready after %v\n%s", r.cmd, timeout, r.tail())
		}
	}
}

// tail is the end of the program's stderr, for failure messages.
func (r *running) tail() string {
	b, _ := os.ReadFile(r.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stoppedThreads lists the threads of pid that are stopped (state t or
// T), or says the process is gone.
func stoppedThreads(pid int) ([]string, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, fmt.Errorf("PID %d is gone: %w", pid, err)
	}
	var stopped []string
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			continue // the thread exited
		}
		s := string(b)
		if i := strings.LastIndex(s, ") "); i >= 0 && i+2 < len(s) {
			if st := s[i+2]; st == 't' || st == 'T' {
				stopped = append(stopped, fmt.Sprintf("%s (%c)", task.Name(), st))
			}
		}
	}
	return stopped, nil
}

// waitFor polls ok every 100 ms until it returns nil or timeout passes.
func waitFor(timeout time.Duration, ok func() error) error {
	end := time.Now().Add(timeout)
	for {
		err := ok()
		if err == nil || time.Now().After(end) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
