package benchtarget

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
	"time"
)

// Build writes source into dir/NAME.c and compiles it with cc -O2 -pthread
// into dir/NAME, whose path it returns.
func Build(ctx context.Context, cc, dir, name string, source []byte) (string, error) {
	src, bin := filepath.Join(dir, name+".c"), filepath.Join(dir, name)
	if err := os.WriteFile(src, source, 0o600); err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, cc, "-O2", "-pthread", "-o", bin, src).CombinedOutput()
	if err != nil {
		msg := []rune(strings.Join(strings.Fields(string(out)), " "))
		return "", fmt.Errorf("build %s.c with %s: %w: %s", name, cc, err, string(msg[:min(len(msg), 300)]))
	}
	return bin, nil
}

// Options say how to start the target.
type Options struct {
	Size  int64         // bytes of its mixed region
	Sleep time.Duration // its monitor's sleep between two looks at the clock
	Churn int           // pages its churn thread rewrites per millisecond, once on
	// Stderr receives the target's stderr (nil: discarded).
	Stderr io.Writer
	// Pdeathsig kills the target when the OS thread that started it ends
	// (Linux). Not for a process that also runs a capture in-process:
	// capture's ptrace goroutine ends its locked thread at the thaw, which
	// may be that one.
	Pdeathsig bool
}

// Target is the running target and the pipes to talk to it.
type Target struct {
	cmd      *exec.Cmd
	in       io.WriteCloser
	out      *bufio.Reader
	PID      int
	Base     uint64 // the mixed region
	Size     uint64
	PageSize uint64
}

// readyTimeout bounds how long the target may take to fill its memory.
func readyTimeout(size int64) time.Duration {
	return 30*time.Second + time.Duration(size>>30)*30*time.Second
}

// Start starts the target and waits for its ready line. The target exits
// when its stdin closes (Stop).
func Start(ctx context.Context, bin string, o Options) (*Target, error) {
	t := &Target{}
	t.cmd = exec.CommandContext(ctx, bin, strconv.FormatInt(o.Size, 10), strconv.FormatInt(o.Sleep.Microseconds(), 10),
		strconv.Itoa(max(o.Churn, 0)))
	t.cmd.Stderr = o.Stderr
	if o.Pdeathsig {
		setPdeathsig(t.cmd)
	}
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
	line, err := t.readLine(readyTimeout(o.Size))
	if err == nil {
		err = t.parseReady(line)
	}
	if err != nil {
		t.Stop()
		return nil, err
	}
	return t, nil
}

// parseReady reads "ready pid=PID base=0xADDR size=N pagesize=N".
func (t *Target) parseReady(line string) error {
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
	t.PID = int(val(f[1], "pid", 10))
	t.Base, t.Size, t.PageSize = val(f[2], "base", 16), val(f[3], "size", 10), val(f[4], "pagesize", 10)
	return err
}

// readLine reads one reply line; the target is killed if none comes in time.
func (t *Target) readLine(timeout time.Duration) (string, error) {
	timer := time.AfterFunc(timeout, func() { t.cmd.Process.Kill() })
	defer timer.Stop()
	line, err := t.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("no reply from the target (it exited or hung): %w", err)
	}
	return strings.TrimSuffix(line, "\n"), nil
}

// ask sends one command and returns the reply, which must start with want.
func (t *Target) ask(command, want string) (string, error) {
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
func (t *Target) resetStall() error {
	_, err := t.ask("reset", "ok")
	return err
}

// stall is the longest stall the monitor saw since the last reset.
func (t *Target) stall() (time.Duration, error) {
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

// Change makes the target change n pages of its region's second half.
func (t *Target) Change(n int) error {
	_, err := t.ask(fmt.Sprintf("change %d", n), "changed ")
	return err
}

// Churn starts or stops the target's churn writes; once it returns off,
// no more are made.
func (t *Target) Churn(on bool) error {
	word := map[bool]string{true: "on", false: "off"}[on]
	_, err := t.ask("churn "+word, "churn "+word)
	return err
}

// Stop ends the target: quit, then kill if it has not exited at once.
func (t *Target) Stop() {
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

// MeasureStall runs fn between a reset and a read of the target's monitor:
// the longest time the target's monitor thread could not run meanwhile.
func (t *Target) MeasureStall(fn func() error) (time.Duration, error) {
	if err := t.resetStall(); err != nil {
		return 0, err
	}
	if err := fn(); err != nil {
		return 0, err
	}
	return t.stall()
}
