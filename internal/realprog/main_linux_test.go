package realprog

import (
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// shared is the directory of what is built once per test binary: procsnap
// and the compiled targets. TestMain removes it.
var shared struct {
	once sync.Once
	dir  string
	err  error
	mu   sync.Mutex
	done map[string]*product
}

// product is one thing built into the shared directory.
type product struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// built returns the path of name in the shared directory, made by build on
// the first call of the test binary; a failure is reported to every caller.
func built(t *testing.T, name string, build func(path string) error) string {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "procsnap-realprog-")
		shared.done = map[string]*product{}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	shared.mu.Lock()
	p := shared.done[name]
	if p == nil {
		p = &product{path: filepath.Join(shared.dir, name)}
		shared.done[name] = p
	}
	shared.mu.Unlock()
	p.once.Do(func() { p.err = build(p.path) })
	if p.err != nil {
		t.Fatalf("build %s: %v", name, p.err)
	}
	return p.path
}

// procsnapBin builds procsnap from this tree, once per test binary.
func procsnapBin(t *testing.T) string {
	return built(t, "procsnap", func(path string) error {
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		cmd := exec.Command(goTool, "build", "-o", path, "github.com/procsnap/procsnap/cmd/procsnap")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		return combined(cmd)
	})
}

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
	procsnapBin(t)
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

// freePort is a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
