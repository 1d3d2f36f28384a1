package realprog

import (
	"os/exec"
	"testing"
	"time"
)

// TestPython captures python3 holding a dict of two million entries, one
// of them the secret, while a thread keeps rewriting it.
func TestPython(t *testing.T) {
	t.Parallel() // light: runs beside the other light ones, after the heavy ones
	need(t, "python3")
	p := startTarget(t, exec.Command("python3", source("hold.py"), "2000000", "240"))
	secret := newSecret()
	p.ready(t, secret, time.Minute)
	// main, the thread that rewrites the dict and the lifetime timer.
	tg := target{pid: p.PID, secret: secret, where: heapOrAnon, tasks: 3}
	archives := captureAll(t, tg)
	p.End()
	checkArchives(t, tg, archives)
}
