package realprog

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
)

// running is a program the test started. It is bounded in time: the test
// ends it when it ends (SIGCONT, its stop signal, stdin closed, SIGKILL
// after 10 s), and the kernel kills it if the test binary dies.
type running struct {
	*proctest.Proc
	log string // file that receives its stderr (a server's stdout too)
}

// startTarget starts a target program: it reads the secret from stdin,
// says "ready" on stdout and exits at the end of stdin or on SIGTERM.
func startTarget(t *testing.T, cmd *exec.Cmd) *running {
	t.Helper()
	return launch(t, cmd, syscall.SIGTERM, false)
}

// startServer starts a server, or a load generator, with its output in
// its log. stop is the signal that stops it.
func startServer(t *testing.T, cmd *exec.Cmd, stop syscall.Signal) *running {
	t.Helper()
	return launch(t, cmd, stop, true)
}

// launch starts the program with its stderr (and, for a server, its
// stdout) in a log file, which is shown if the test fails.
func launch(t *testing.T, cmd *exec.Cmd, stop syscall.Signal, server bool) *running {
	t.Helper()
	r := &running{log: filepath.Join(t.TempDir(), "log")}
	logf, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stderr = logf
	if server {
		cmd.Stdout = logf
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	t.Cleanup(func() { // after the program has ended: its last words too
		if t.Failed() {
			t.Logf("%s\n%s", cmd, r.tail())
		}
	})
	r.Proc = proctest.Start(t, cmd)
	r.StopSignal, r.Grace = stop, 10*time.Second
	return r
}

// ready sends the secret on stdin and waits for the "ready" line.
func (r *running) ready(t *testing.T, secret string, timeout time.Duration) {
	t.Helper()
	r.Send(t, secret)
	r.Timeout = timeout
	r.WaitReady(t)
}

// tail is the end of the program's stderr, for failure messages.
func (r *running) tail() string {
	b, _ := os.ReadFile(r.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
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
