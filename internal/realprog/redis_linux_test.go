package realprog

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
)

// TestRedis captures redis-server, listening on loopback only and without
// persistence, holding the secret as a value while redis-benchmark keeps
// it busy.
func TestRedis(t *testing.T) {
	t.Parallel() // light: runs beside the other light ones, after the heavy ones
	need(t, "redis-server", "redis-cli", "redis-benchmark")
	port := strconv.Itoa(proctest.FreePort(t))
	srv := startServer(t, exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port,
		"--save", "", "--appendonly", "no", "--dir", t.TempDir()), syscall.SIGTERM)
	cli := func(args ...string) string {
		r := runCmd(t, "redis-cli", append([]string{"-h", "127.0.0.1", "-p", port}, args...)...)
		return strings.TrimSpace(r.stdout + r.stderr)
	}
	ping := func() error {
		if got := cli("PING"); got != "PONG" {
			return fmt.Errorf("redis-cli PING: %q, want PONG", got)
		}
		return nil
	}
	if err := waitFor(30*time.Second, ping); err != nil {
		t.Fatalf("redis-server did not start: %v\n%s", err, srv.tail())
	}
	secret := newSecret()
	if got := cli("SET", "realprog:secret", secret); got != "OK" {
		t.Fatalf("SET the secret: %q", got)
	}
	// Bounded by -n; stopped with the test if it has not finished.
	startServer(t, exec.Command("redis-benchmark", "-h", "127.0.0.1", "-p", port, "-q",
		"-c", "20", "-n", "5000000", "-r", "100000", "-d", "256", "-t", "set,get"), syscall.SIGTERM)
	time.Sleep(time.Second) // let the load start
	tg := target{pid: srv.PID, secret: secret, where: heapOrAnon, answer: ping}
	archives := captureAll(t, tg)
	if got := cli("GET", "realprog:secret"); got != secret {
		t.Errorf("GET the secret after the captures: %q", got)
	}
	checkArchives(t, tg, archives)
}
