package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// target is the running bench target.
type target struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	pid int
}

// startTarget builds src with cc into dir and starts it with a region of
// size bytes, churning pages per millisecond.
func startTarget(ctx context.Context, cc, src, dir string, size int64, churn int) (*target, error) {
	bin := filepath.Join(dir, "target")
	if out, err := exec.CommandContext(ctx, cc, "-O2", "-pthread", "-o", bin, src).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build %s: %w: %s", src, err, out)
	}
	t := &target{cmd: exec.CommandContext(ctx, bin, strconv.FormatInt(size, 10), "50", strconv.Itoa(churn))}
	// No Pdeathsig: it fires when the forking OS thread exits, and
	// capture.Run's ptrace goroutine ends its locked thread at the thaw,
	// which may be that one. The target exits when its stdin closes.
	t.cmd.Stderr = os.Stderr
	var err error
	if t.in, err = t.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := t.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	t.out = bufio.NewReader(out)
	if err := t.cmd.Start(); err != nil {
		return nil, err
	}
	line, err := t.out.ReadString('\n')
	if _, serr := fmt.Sscanf(line, "ready pid=%d", &t.pid); err != nil || serr != nil {
		t.stop()
		return nil, fmt.Errorf("target's first line %q: %v %v", line, err, serr)
	}
	return t, nil
}

// ask sends one command and returns the reply line.
func (t *target) ask(cmd string) (string, error) {
	if _, err := io.WriteString(t.in, cmd+"\n"); err != nil {
		return "", err
	}
	line, err := t.out.ReadString('\n')
	return strings.TrimSpace(line), err
}

// stop ends the target.
func (t *target) stop() {
	t.in.Close() // it exits at EOF
	t.cmd.Wait() //nolint:errcheck // exit status is of no interest
}
