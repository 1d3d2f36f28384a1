package proctest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// DefaultTimeout bounds each wait for a target's lines, unless its
// Proc.Timeout says otherwise.
const DefaultTimeout = 20 * time.Second

// Proc is a process a test started. It ends when the test ends (End).
type Proc struct {
	Cmd   *exec.Cmd
	PID   int
	Stdin io.WriteCloser // nil when the caller gave Cmd a stdin of its own
	// Lines are what WaitReady read: the lines up to the ready line, and it.
	Lines []string
	// Timeout bounds Line and WaitReady; Start sets DefaultTimeout.
	Timeout time.Duration
	// StopSignal, if set, is sent by End after SIGCONT, and Grace is how
	// long End waits for the process to exit before it kills it (0: kill
	// at once). A target that needs neither is simply killed.
	StopSignal syscall.Signal
	Grace      time.Duration

	out  *lineQueue // its stdout; nil when the caller gave Cmd a stdout
	reap sync.Once  // starts the goroutine that waits for it
	done chan struct{}
	err  error // of Cmd.Wait, once done is closed
	end  sync.Once
}

// Start starts cmd with a pipe to its stdin and one from its stdout, unless
// the caller set them; its stderr is the test's unless set. The process is
// ended (End) when tb ends.
func Start(tb testing.TB, cmd *exec.Cmd) *Proc {
	tb.Helper()
	p := &Proc{Cmd: cmd, Timeout: DefaultTimeout, done: make(chan struct{})}
	var err error
	if cmd.Stdin == nil {
		if p.Stdin, err = cmd.StdinPipe(); err != nil {
			tb.Fatal(err)
		}
	}
	var w *os.File
	if cmd.Stdout == nil {
		var r *os.File
		if r, w, err = os.Pipe(); err != nil {
			tb.Fatal(err)
		}
		cmd.Stdout = w
		p.out = readLines(r)
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	err = cmd.Start()
	if w != nil {
		w.Close() // the child holds its own copy: its exit is the reader's EOF
	}
	if err != nil {
		tb.Fatalf("start %s: %v", p.name(), err)
	}
	p.PID = cmd.Process.Pid
	tb.Cleanup(p.End)
	return p
}

// StartReady starts cmd (Start) and waits for its ready line (WaitReady).
func StartReady(tb testing.TB, cmd *exec.Cmd) *Proc {
	tb.Helper()
	p := Start(tb, cmd)
	p.WaitReady(tb)
	return p
}

// StartC starts testdata/SRC (BuildC) with args and waits for its ready line.
func StartC(tb testing.TB, src string, args ...string) *Proc {
	tb.Helper()
	return StartReady(tb, exec.Command(BuildC(tb, src), args...))
}

// Self returns a command that re-executes the test binary to run only the
// test named test (a helper process's body), with env added.
func Self(test string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// Line returns the next line the process prints, failing tb if none comes
// within Timeout or its output ends.
func (p *Proc) Line(tb testing.TB) string {
	tb.Helper()
	line, err := p.nextLine(time.After(p.Timeout))
	if err != nil {
		tb.Fatal(err)
	}
	return line
}

// WaitReady reads lines into Lines up to the first that starts with
// "ready", which it returns, failing tb if it does not come within Timeout.
func (p *Proc) WaitReady(tb testing.TB) string {
	tb.Helper()
	deadline := time.After(p.Timeout)
	for {
		line, err := p.nextLine(deadline)
		if err != nil {
			tb.Fatalf("not ready: %v; it said %q", err, p.Lines)
		}
		p.Lines = append(p.Lines, line)
		if strings.HasPrefix(line, "ready") {
			return line
		}
	}
}

// Send writes line and a newline to the process's stdin.
func (p *Proc) Send(tb testing.TB, line string) {
	tb.Helper()
	if _, err := io.WriteString(p.Stdin, line+"\n"); err != nil {
		tb.Fatalf("write %q to %s: %v", line, p.name(), err)
	}
}

// End ends the process and reaps it: SIGCONT (a stopped process acts on
// nothing else), StopSignal if set, its stdin closed, up to Grace to exit,
// then SIGKILL. Start registers it with tb.Cleanup; calling it again does
// nothing.
func (p *Proc) End() {
	p.end.Do(func() {
		p.Cmd.Process.Signal(syscall.SIGCONT)
		if p.StopSignal != 0 {
			p.Cmd.Process.Signal(p.StopSignal)
		}
		if p.Stdin != nil {
			p.Stdin.Close()
		}
		select {
		case <-p.Done():
		case <-time.After(p.Grace):
			p.Cmd.Process.Kill()
			<-p.done
		}
	})
}

// Nothing waits for the process until Wait, Done or End: a thread of the
// test process that waited for it would take the ptrace stops of a target
// that the test itself traces (wait reports a tracee's stops whatever its
// options say) from under the tracer.

// Wait waits until the process has exited and been reaped, and returns what
// exec.Cmd.Wait returned.
func (p *Proc) Wait() error {
	<-p.Done()
	return p.err
}

// Done starts waiting for the process and returns a channel closed once it
// has exited and been reaped. Not while this test process traces it.
func (p *Proc) Done() <-chan struct{} {
	p.reap.Do(func() {
		go func() {
			p.err = p.Cmd.Wait()
			close(p.done)
		}()
	})
	return p.done
}

// Exited reports whether the process has exited, without reaping it.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return exited(p.PID)
	}
}

func (p *Proc) name() string { return filepath.Base(p.Cmd.Path) }

// Fields returns the KEY=VALUE words of a line ("ready A=0x1 N=3").
func Fields(line string) map[string]string {
	kv := map[string]string{}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			kv[k] = v
		}
	}
	return kv
}

// lineQueue holds what a process printed, line by line, until it is read.
type lineQueue struct {
	mu    sync.Mutex
	lines []string
	eof   error // set when the output ended
	more  chan struct{}
}

// readLines reads r into a new queue until r ends, then closes r.
func readLines(r *os.File) *lineQueue {
	q := &lineQueue{more: make(chan struct{}, 1)}
	go func() {
		defer r.Close()
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadString('\n')
			q.mu.Lock()
			if line != "" {
				q.lines = append(q.lines, strings.TrimSuffix(line, "\n"))
			}
			if err != nil {
				q.eof = err
			}
			q.mu.Unlock()
			select {
			case q.more <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return q
}

// nextLine takes the next line of the process's output.
func (p *Proc) nextLine(deadline <-chan time.Time) (string, error) {
	q := p.out
	if q == nil {
		return "", fmt.Errorf("%s: its stdout is not read by proctest", p.name())
	}
	for {
		q.mu.Lock()
		if len(q.lines) > 0 {
			line := q.lines[0]
			q.lines = q.lines[1:]
			q.mu.Unlock()
			return line, nil
		}
		eof := q.eof
		q.mu.Unlock()
		if eof != nil {
			return "", fmt.Errorf("%s ended its output (%v)%s", p.name(), eof, p.exitNote())
		}
		select {
		case <-q.more:
		case <-deadline:
			return "", fmt.Errorf("%s said nothing within %v", p.name(), p.Timeout)
		}
	}
}

// exitNote says how the process ended, if it has, for failure messages.
func (p *Proc) exitNote() string {
	time.Sleep(10 * time.Millisecond) // the output ends before the exit
	if !p.Exited() {
		return ""
	}
	p.Wait()
	return fmt.Sprintf(": %v", p.Cmd.ProcessState)
}
