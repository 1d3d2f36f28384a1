package realprog

import (
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
)

// TestBusyTarget captures a target busier than the machine: a C program
// with four spinning threads per core (at least 8), so that procsnap
// competes with them for the CPU while it freezes and copies.
func TestBusyTarget(t *testing.T) {
	need(t, "gcc")
	bin := proctest.BuildC(t, "realprog/spin.c")
	spinners := max(8, 4*runtime.NumCPU())
	p := startTarget(t, exec.Command(bin, strconv.Itoa(spinners), "240"))
	secret := newSecret()
	p.ready(t, secret, 30*time.Second)
	tg := target{pid: p.PID, secret: secret, where: heapOrAnon, tasks: spinners + 1}
	archives := captureAll(t, tg)
	p.End()
	checkArchives(t, tg, archives)
}
