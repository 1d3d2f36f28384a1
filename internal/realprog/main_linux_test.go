package realprog

import (
	"crypto/rand"
	"fmt"
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

// need stops the test when it cannot run (proctest.Unavailable: a failure
// in CI, a skip elsewhere): not root, or a program missing. Then it builds
// procsnap, before the test starts a program that keeps the CPU busy.
func need(t *testing.T, progs ...string) {
	t.Helper()
	proctest.NeedRoot(t, "capture ptraces programs that run as other users")
	for _, p := range append([]string{"gdb"}, progs...) {
		proctest.NeedProgram(t, p, p+" (.ci/run installs it)")
	}
	proctest.ProcsnapRelease(t)
}

// newSecret is a string that cannot be in memory by chance.
func newSecret() string {
	return "procsnap-realprog-secret-" + rand.Text()
}
