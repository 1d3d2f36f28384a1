package realprog

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/procsnap/procsnap/internal/proctest"
)

func TestMain(m *testing.M) { proctest.Main(m) }

// combined runs cmd and puts its output into the error when it fails.
func combined(cmd *exec.Cmd) error {
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", cmd, err, out)
	}
	return nil
}

// source is the path of a target program under testdata/realprog.
func source(name string) string {
	return filepath.Join("..", "..", "testdata", "realprog", name)
}

// need stops the test when it cannot run: not root, or a program missing.
// In CI (CI set) that is a failure, elsewhere a skip. Then it builds
// procsnap, before the test starts a program that keeps the CPU busy.
func need(t *testing.T, progs ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, "capture needs root: the tests ptrace programs that run as other users")
	}
	for _, p := range append([]string{"gdb"}, progs...) {
		if _, err := exec.LookPath(p); err != nil {
			unavailable(t, fmt.Sprintf("%s is not installed (.ci/run installs it): %v", p, err))
		}
	}
	proctest.ProcsnapRelease(t)
}

func unavailable(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// newSecret is a string that cannot be in memory by chance.
func newSecret() string {
	return "procsnap-realprog-secret-" + rand.Text()
}
