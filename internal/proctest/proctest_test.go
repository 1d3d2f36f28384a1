package proctest

import (
	"maps"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestFields(t *testing.T) {
	got := Fields("ready A=0x10 N=3 junk B= =x")
	want := map[string]string{"A": "0x10", "N": "3", "B": "", "": "x"}
	if !maps.Equal(got, want) {
		t.Errorf("Fields = %v, want %v", got, want)
	}
}

// TestStartReadyEnd starts a shell that prints lines before its ready line
// and then waits on its stdin: WaitReady keeps the lines before it, Send
// reaches the process, Suspend stops it, and End resumes and ends it.
func TestStartReadyEnd(t *testing.T) {
	p := StartReady(t, exec.Command("sh", "-c", `echo one; echo "ready K=v"; read x; echo "got $x"; exec sleep 60`))
	if len(p.Lines) != 2 || p.Lines[0] != "one" || Fields(p.Lines[1])["K"] != "v" {
		t.Fatalf("lines %q, want one and the ready line", p.Lines)
	}
	p.Send(t, "hello")
	if l := p.Line(t); l != "got hello" {
		t.Errorf("after Send the process said %q", l)
	}
	Suspend(t, p.PID)
	if s := ProcState(p.PID); s != 'T' {
		t.Errorf("after Suspend the state is %c, want T", s)
	}
	p.End()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the process did not end after End")
	}
	if err := syscall.Kill(p.PID, 0); err == nil && ProcState(p.PID) != 'Z' {
		t.Errorf("PID %d still runs after End (state %c)", p.PID, ProcState(p.PID))
	}
}

func TestNeedProgramFound(t *testing.T) {
	if p := NeedProgram(t, "sh", "dash"); p == "" || p[0] != '/' {
		t.Errorf("NeedProgram(sh) = %q, want an absolute path", p)
	}
}
