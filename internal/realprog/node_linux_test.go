package realprog

import (
	"os/exec"
	"testing"
	"time"
)

// TestNode captures node with a 1 GiB old space, half of it filled
// with arrays of doubles, while it keeps allocating short-lived objects.
func TestNode(t *testing.T) {
	need(t, "node")
	p := startTarget(t, exec.Command("node", "--max-old-space-size=1024", source("hold.js"), "512", "240"))
	secret := newSecret()
	p.ready(t, secret, 2*time.Minute)
	tg := target{pid: p.PID, secret: secret, where: anonRW}
	archives := captureAll(t, tg)
	p.End()
	checkArchives(t, tg, archives)
}
