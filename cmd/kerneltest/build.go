package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/procsnap/procsnap/cmd/kerneltest/internal/proto"
)

// guestRoot is where the module's tree is laid out in the guest: each
// suite runs in its package's directory there, so relative paths such as
// ../testdata/procfs resolve as on the host.
const guestRoot = "/src"

// guestTargets is the directory of prebuilt C targets in the guest, named
// to the tests by PROCSNAP_TEST_TARGETS: testdata/D/N.c is built as
// guestTargets/D/N, where internal/proctest's BuildC looks for it.
const guestTargets = "/targets"

// targetDirs are the testdata directories whose C programs the suites run.
var targetDirs = []string{"testdata/capture", "testdata/ptrace", "testdata/procfs/src"}

// treeDirs are the testdata trees the suites read in place.
var treeDirs = []string{"testdata/procfs"}

// artifacts are the host files that go into the initramfs.
type artifacts struct {
	init    string            // the guest's /init
	tests   map[string]string // suite name → its static test binary
	targets map[string]string // guest path → static C target
}

// build builds, into work, the guest's /init and the suites' test binaries
// (static: CGO_ENABLED=0) and the C targets (gcc -static), in parallel.
func build(ctx context.Context, root, work string, suites []suite) (*artifacts, error) {
	a := &artifacts{init: filepath.Join(work, "init"), tests: map[string]string{}, targets: map[string]string{}}
	var jobs []*exec.Cmd
	gobuild := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", a.init, "./cmd/kerneltest/guest")
	jobs = append(jobs, gobuild)
	testArgs := []string{"test", "-c", "-trimpath", "-o", filepath.Join(work, "tests") + "/"}
	for _, s := range suites {
		testArgs = append(testArgs, "./"+s.name)
		a.tests[s.name] = filepath.Join(work, "tests", path.Base(s.name)+".test")
	}
	jobs = append(jobs, exec.CommandContext(ctx, "go", testArgs...))
	for _, j := range jobs {
		j.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	}
	for _, d := range targetDirs {
		srcs, _ := filepath.Glob(filepath.Join(root, d, "*.c"))
		for _, src := range srcs {
			name := strings.TrimSuffix(filepath.Base(src), ".c")
			rel := strings.TrimPrefix(d, "testdata/") // as BuildC names it: capture/churn.c
			out := filepath.Join(work, "targets", rel, name)
			a.targets[path.Join(guestTargets, rel, name)] = out
			jobs = append(jobs, exec.CommandContext(ctx, "gcc", "-static", "-O2", "-Wall", "-pthread", "-o", out, src))
		}
	}
	for _, d := range targetDirs {
		if err := os.MkdirAll(filepath.Join(work, "targets", strings.TrimPrefix(d, "testdata/")), 0o755); err != nil {
			return nil, err
		}
	}
	return a, runJobs(root, jobs)
}

// runJobs runs the commands in root, two at a time, and joins their errors.
func runJobs(root string, jobs []*exec.Cmd) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	sem := make(chan struct{}, 2)
	for _, j := range jobs {
		j.Dir = root
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if out, err := j.CombinedOutput(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w\n%s", strings.Join(j.Args, " "), err, out))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// writeInitramfs writes the initramfs: /init, the manifest, /dev/console
// (the kernel opens it for /init's stdio before anything is mounted), the
// mount points, the test binaries in their package directories, the
// testdata trees they read and the prebuilt targets.
func writeInitramfs(out, root string, a *artifacts, m *proto.Manifest) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	c := newCPIO(f)
	for _, d := range []string{"/dev", "/proc", "/sys", "/tmp"} {
		c.Dir(d, 0o755)
	}
	c.CharDev("/dev/console", 0o600, 5, 1)
	c.HostFile("/init", a.init)
	c.File(proto.ManifestPath, 0o644, manifestJSON(m))
	for _, s := range m.Suites {
		c.HostFile(s.Binary, a.tests[s.Name])
	}
	for _, d := range treeDirs {
		c.HostTree(path.Join(guestRoot, d), filepath.Join(root, d))
	}
	for _, guest := range slices.Sorted(maps.Keys(a.targets)) {
		c.HostFile(guest, a.targets[guest])
	}
	if err := c.Close(); err != nil {
		return err
	}
	return f.Close()
}
