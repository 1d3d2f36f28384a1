package realprog

import (
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestBusyTarget captures a target busier than the machine: a C program
// with four spinning threads per core (at least 8), so that procsnap
// competes with them for the CPU while it freezes and copies.
func TestBusyTarget(t *testing.T) {
	need(t, "gcc")
	bin := built(t, "spin", func(path string) error {
		return combined(exec.Command("gcc", "-O2", "-Wall", "-pthread", "-o", path, source("spin.c")))
	})
	spinners := max(8, 4*runtime.NumCPU())
	p := startTarget(t, exec.Command(bin, strconv.Itoa(spinners), "240"))
	secret := newSecret()
	p.ready(t, secret, 30*time.Second)
	tg := target{pid: p.pid(), secret: secret, where: heapOrAnon, tasks: spinners + 1}
	archives := captureAll(t, tg)
	p.stop()
	checkArchives(t, tg, archives)
}
