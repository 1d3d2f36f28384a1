package proctest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TargetsEnv names a directory of prebuilt C targets: testdata/D/N.c is
// DIR/D/N there (cmd/kerneltest builds them static for its guest).
const TargetsEnv = "PROCSNAP_TEST_TARGETS"

// mainCalled is set by Main: the build directory is removed only then.
var mainCalled atomic.Bool

// shared is the directory of what this test binary built, and what is in it.
var shared struct {
	mu    sync.Mutex
	dir   string
	err   error
	built map[string]*product
}

// product is one thing built into the shared directory.
type product struct {
	once sync.Once
	path string
	err  error
}

// Main runs the tests of a package that uses proctest and removes what they
// built; call it from TestMain. In a helper process started by StartTracer
// it is that helper and never returns.
func Main(m *testing.M) {
	runHelper()
	mainCalled.Store(true)
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// Built returns the path of name in the directory of this test binary's
// builds, made by build(path) on the first call for name; a failure is
// reported to every caller. name may hold slashes.
func Built(tb testing.TB, name string, build func(path string) error) string {
	tb.Helper()
	if !mainCalled.Load() {
		tb.Fatal("proctest: call proctest.Main from TestMain, so that what the tests build is removed")
	}
	shared.mu.Lock()
	if shared.dir == "" && shared.err == nil {
		shared.dir, shared.err = sharedDir()
		shared.built = map[string]*product{}
	}
	if shared.err != nil {
		shared.mu.Unlock()
		tb.Fatalf("proctest: %v", shared.err)
	}
	p := shared.built[name]
	if p == nil {
		p = &product{path: filepath.Join(shared.dir, name)}
		shared.built[name] = p
	}
	shared.mu.Unlock()
	p.once.Do(func() {
		if p.err = os.MkdirAll(filepath.Dir(p.path), 0o755); p.err == nil {
			p.err = build(p.path)
		}
	})
	if p.err != nil {
		tb.Fatalf("build %s: %v", name, p.err)
	}
	return p.path
}

// sharedDir makes the build directory, open to every user: the
// unprivileged tests run what is in it as nobody.
func sharedDir() (string, error) {
	dir, err := os.MkdirTemp("", "procsnap-proctest-")
	if err != nil {
		return "", err
	}
	return dir, os.Chmod(dir, 0o755)
}

// BuildC returns the path of testdata/SRC (a C program, "capture/threads.c")
// built with gcc -O2 -Wall -pthread, or with flags instead of -O2 -Wall.
// Without flags, a prebuilt program is taken from $PROCSNAP_TEST_TARGETS
// when it is set.
func BuildC(tb testing.TB, src string, flags ...string) string {
	tb.Helper()
	name := strings.TrimSuffix(src, ".c")
	if dir := os.Getenv(TargetsEnv); dir != "" && len(flags) == 0 {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			tb.Fatalf("prebuilt target for testdata/%s: %v", src, err)
		}
		return path
	}
	if len(flags) == 0 {
		flags = []string{"-O2", "-Wall"}
	} else {
		name += strings.ReplaceAll(strings.Join(flags, ""), "-", ".")
	}
	return Built(tb, name, func(path string) error {
		gcc, err := exec.LookPath("gcc")
		if err != nil {
			return fmt.Errorf("gcc is needed to build testdata/%s (or a prebuilt one in $%s): %w", src, TargetsEnv, err)
		}
		root, err := moduleRoot()
		if err != nil {
			return err
		}
		args := append(append([]string{}, flags...), "-pthread", "-o", path, filepath.Join(root, "testdata", src))
		return combined(exec.Command(gcc, args...))
	})
}

// BuildGo returns the path of the Go program of testdata/DIR ("elfcore/gotarget").
func BuildGo(tb testing.TB, dir string) string {
	tb.Helper()
	return Built(tb, dir, func(path string) error {
		return goBuild(path, nil, "./testdata/"+dir)
	})
}

// Procsnap returns procsnap built from this tree as the tests run it: with
// the procsnaptest tag (the fault suite's hook, cmd/procsnap/testhook_on.go)
// and CGO_ENABLED=0.
func Procsnap(tb testing.TB) string {
	tb.Helper()
	return Built(tb, "procsnap", func(path string) error {
		return goBuild(path, []string{"CGO_ENABLED=0"}, "-tags", "procsnaptest", "./cmd/procsnap")
	})
}

// ProcsnapRelease returns procsnap built from this tree as `make build`
// builds it: static (CGO_ENABLED=0), -trimpath, no test hook.
func ProcsnapRelease(tb testing.TB) string {
	tb.Helper()
	return Built(tb, "release/procsnap", func(path string) error {
		return goBuild(path, []string{"CGO_ENABLED=0"}, "-trimpath", "./cmd/procsnap")
	})
}

// goBuild runs go build -o path args in the module's root.
func goBuild(path string, env []string, args ...string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command(GoTool(), append([]string{"build", "-o", path}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	return combined(cmd)
}

// GoTool is the go command of the toolchain running the tests.
func GoTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		return "go"
	}
	return p
}

// combined runs cmd and puts its output into the error when it fails.
func combined(cmd *exec.Cmd) error {
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return nil
}

var root struct {
	once sync.Once
	dir  string
	err  error
}

// moduleRoot is the directory of go.mod above the tests' working directory
// (a package's directory).
func moduleRoot() (string, error) {
	root.once.Do(func() {
		dir, err := os.Getwd()
		for ; err == nil; dir = filepath.Dir(dir) {
			if _, serr := os.Stat(filepath.Join(dir, "go.mod")); serr == nil {
				root.dir = dir
				return
			}
			if filepath.Dir(dir) == dir {
				err = errors.New("no go.mod above the working directory: the tests run in their package's directory")
			}
		}
		root.err = err
	})
	return root.dir, root.err
}
