package realprog

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
)

// TestJVM captures OpenJDK holding 400 MiB of byte[1<<20] arrays while
// four threads keep allocating, with the G1 and the Parallel collector.
func TestJVM(t *testing.T) {
	for _, gc := range []string{"G1", "Parallel"} {
		t.Run(gc, func(t *testing.T) {
			need(t, "java", "javac")
			classes := proctest.Built(t, "java-classes", func(dir string) error {
				if err := os.Mkdir(dir, 0o755); err != nil {
					return err
				}
				return combined(exec.Command("javac", "-d", dir, source("Hold.java")))
			})
			p := startTarget(t, exec.Command("java", "-XX:+Use"+gc+"GC", "-Xmx2g",
				"-cp", classes, "Hold", "400", "240"))
			secret := newSecret()
			p.ready(t, secret, 2*time.Minute)
			tg := target{pid: p.PID, secret: secret, where: anonRW}
			archives := captureAll(t, tg)
			p.End()
			checkArchives(t, tg, archives)
		})
	}
}
