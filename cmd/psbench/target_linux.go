package main

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

//go:embed target/target.c
var targetSource []byte

//go:embed target/launch.c
var launchSource []byte

// buildC compiles one embedded C program into dir/name.
func buildC(ctx context.Context, cc, dir, name string, source []byte) (string, error) {
	src, bin := filepath.Join(dir, name+".c"), filepath.Join(dir, name)
	if err := os.WriteFile(src, source, 0o600); err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, cc, "-O2", "-pthread", "-o", bin, src).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build cmd/psbench/target/%s.c with %s: %w: %s", name, cc, err, oneLine(string(out), 300))
	}
	return bin, nil
}

// target is the running target process and the pipes to talk to it.
type target struct {
	cmd      *exec.Cmd
	in       io.WriteCloser
	out      *bufio.Reader
	stderr   capped
	pid      int
	base     uint64
	size     uint64
	pageSize uint64
}

// readyTimeout bounds how long the target may take to fill its memory.
func readyTimeout(size int64) time.Duration {
	return 30*time.Second + time.Duration(size>>30)*30*time.Second
}

// startTarget starts the target and waits for its ready line. Its churn
// thread, once on, rewrites churn pages per millisecond.
func startTarget(ctx context.Context, bin string, size int64, sleep time.Duration, churn int) (*target, error) {
	t := &target{}
	t.cmd = exec.CommandContext(ctx, bin, strconv.FormatInt(size, 10), strconv.FormatInt(sleep.Microseconds(), 10),
		strconv.Itoa(max(churn, 0)))
	t.cmd.Stderr = &t.stderr
	t.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	in, err := t.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := t.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	t.in, t.out = in, bufio.NewReader(out)
	if err := t.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the target: %w", err)
	}
	line, err := t.readLine(readyTimeout(size))
	if err == nil {
		err = t.parseReady(line)
	}
	if err != nil {
		t.stop()
		return nil, fmt.Errorf("target: %w %s", err, oneLine(t.stderr.b.String(), 200))
	}
	return t, nil
}

// parseReady reads "ready pid=PID base=0xADDR size=N pagesize=N".
func (t *target) parseReady(line string) error {
	f := strings.Fields(line)
	if len(f) != 5 || f[0] != "ready" {
		return fmt.Errorf("unexpected first line %q", line)
	}
	var err error
	val := func(field, key string, base int) uint64 {
		v, ok := strings.CutPrefix(field, key+"=")
		n, perr := strconv.ParseUint(strings.TrimPrefix(v, "0x"), base, 64)
		if (!ok || perr != nil) && err == nil {
			err = fmt.Errorf("bad %s in %q", key, line)
		}
		return n
	}
	t.pid = int(val(f[1], "pid", 10))
	t.base, t.size, t.pageSize = val(f[2], "base", 16), val(f[3], "size", 10), val(f[4], "pagesize", 10)
	return err
}

// readLine reads one reply line; the target is killed if none comes in time.
func (t *target) readLine(timeout time.Duration) (string, error) {
	timer := time.AfterFunc(timeout, func() { t.cmd.Process.Kill() })
	defer timer.Stop()
	line, err := t.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("no reply from the target (it exited or hung): %w", err)
	}
	return strings.TrimSuffix(line, "\n"), nil
}

// ask sends one command and returns the reply, which must start with want.
func (t *target) ask(command, want string) (string, error) {
	if _, err := io.WriteString(t.in, command+"\n"); err != nil {
		return "", fmt.Errorf("target %q: %w", command, err)
	}
	reply, err := t.readLine(time.Minute)
	if err != nil {
		return "", fmt.Errorf("target %q: %w", command, err)
	}
	if !strings.HasPrefix(reply, want) {
		return "", fmt.Errorf("target %q: unexpected reply %q", command, reply)
	}
	return strings.TrimSpace(strings.TrimPrefix(reply, want)), nil
}

// resetStall makes the monitor forget the longest stall so far.
func (t *target) resetStall() error {
	_, err := t.ask("reset", "ok")
	return err
}

// stall is the longest stall the monitor saw since the last reset.
func (t *target) stall() (time.Duration, error) {
	v, err := t.ask("stall", "stall ")
	if err != nil {
		return 0, err
	}
	ns, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("target stall: bad number %q", v)
	}
	return time.Duration(ns), nil
}

// change makes the target change n pages of its region's second half.
func (t *target) change(n int) error {
	_, err := t.ask(fmt.Sprintf("change %d", n), "changed ")
	return err
}

// churn starts or stops the target's churn writes; once it returns off,
// no more are made.
func (t *target) churn(on bool) error {
	word := map[bool]string{true: "on", false: "off"}[on]
	_, err := t.ask("churn "+word, "churn "+word)
	return err
}

// stop ends the target: quit, then kill if it has not exited at once.
func (t *target) stop() {
	io.WriteString(t.in, "quit\n") //nolint:errcheck // it may be gone already
	t.in.Close()
	done := make(chan struct{})
	go func() { t.cmd.Wait(); close(done) }() //nolint:errcheck // exit status is of no interest
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.cmd.Process.Kill()
		<-done
	}
}

// measureStall runs fn between a reset and a read of the target's monitor.
func (t *target) measureStall(fn func() error) (time.Duration, error) {
	if err := t.resetStall(); err != nil {
		return 0, err
	}
	if err := fn(); err != nil {
		return 0, err
	}
	return t.stall()
}
