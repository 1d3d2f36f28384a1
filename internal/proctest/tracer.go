package proctest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// tracerEnv makes a re-executed test binary the tracer of StartTracer: Main
// sees it before any test runs.
const tracerEnv = "PROCSNAP_PROCTEST_SEIZE"

// Tracer is a helper process that holds a task under PTRACE_SEIZE, as a
// debugger would, until it ends (End, or the end of the test).
type Tracer struct {
	*Proc
	TID int // its thread that traces: never its leader, so TID != PID
}

// StartTracer starts a tracer of task tid. It seizes from a thread other
// than its leader, as a Go debugger does, so that a test sees whether
// procsnap names the tracing process rather than the tracing thread.
func StartTracer(tb testing.TB, tid int) *Tracer {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$") // Main runs the tracer before any test
	cmd.Env = append(os.Environ(), tracerEnv+"="+strconv.Itoa(tid))
	p := Start(tb, cmd)
	line := p.Line(tb)
	tr := &Tracer{Proc: p}
	if _, err := fmt.Sscanf(line, "seized by %d", &tr.TID); err != nil || tr.TID == p.PID {
		tb.Fatalf("tracer of %d said %q, want \"seized by TID\" from a thread other than its leader %d", tid, line, p.PID)
	}
	return tr
}

// runHelper is the body of a helper process, when this is one: it seizes
// the task named by tracerEnv, says so, and holds it until its stdin ends.
func runHelper() {
	s := os.Getenv(tracerEnv)
	if s == "" {
		return
	}
	tid, err := strconv.Atoi(s)
	if err != nil {
		fmt.Printf("error: %s=%q\n", tracerEnv, s)
		os.Exit(2)
	}
	fmt.Println(seize(tid))
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}
