package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// childTimeout bounds any one program the harness runs.
const childTimeout = 15 * time.Minute

// child is how one program run went.
type child struct {
	wall   time.Duration
	maxRSS int64 // bytes: ru_maxrss of the process and the children it waited for
	code   int   // exit code; 128+N when signal N killed it
	stdout []byte
	stderr []byte
	outLen int64 // bytes written to stdout, kept or not
}

// launcher runs programs through target/launch.c, which measures their
// wall time and a peak RSS free of the harness's own (see launch.c).
type launcher struct {
	bin    string // the launch program
	report string // the file launch writes its figures to
}

// run runs bin with args, stdout and stderr kept (up to 64 KiB each). The
// error is only for a program that could not be run at all or did not end
// in time; exit codes are the caller's to judge.
func (l launcher) run(ctx context.Context, bin string, args ...string) (child, error) {
	ctx, cancel := context.WithTimeout(ctx, childTimeout)
	defer cancel()
	os.Remove(l.report)
	var out, errOut capped
	cmd := exec.CommandContext(ctx, l.bin, append([]string{l.report, bin}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return child{}, err
	}
	err := cmd.Wait()
	c := child{stdout: out.b.Bytes(), stderr: errOut.b.Bytes(), code: cmd.ProcessState.ExitCode(), outLen: out.n}
	if ctx.Err() != nil {
		return c, fmt.Errorf("%s: %w", bin, context.Cause(ctx))
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return c, err
	}
	var wallNS, rssKiB int64
	b, rerr := os.ReadFile(l.report)
	if _, serr := fmt.Sscan(string(b), &wallNS, &rssKiB); rerr != nil || serr != nil {
		return c, fmt.Errorf("run %s: launch reported nothing (exit %d): %s", bin, c.code, oneLine(errOut.b.String(), 200))
	}
	c.wall, c.maxRSS = time.Duration(wallNS), rssKiB<<10
	return c, nil
}

// failure describes a run that exited with an unexpected code.
func (c child) failure(what string) error {
	msg := oneLine(string(c.stderr), 200)
	if msg == "" {
		msg = oneLine(string(c.stdout), 200)
	}
	return fmt.Errorf("%s exited with code %d: %s", what, c.code, msg)
}

// capped keeps the first 64 KiB written to it and counts the rest.
type capped struct {
	b bytes.Buffer
	n int64
}

func (c *capped) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	if room := 64<<10 - c.b.Len(); room > 0 {
		c.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
