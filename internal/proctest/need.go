package proctest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Unavailable stops a test that cannot run here, saying why: in CI (CI set
// to anything: .ci/run installs every program the tests need and runs them
// as root) it is a failure, elsewhere a skip.
func Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf(format, args...)
	}
	tb.Skipf(format, args...)
}

// NeedProgram returns the absolute path of the program name, which the test
// runs; pkg is the Debian package that has it. A missing program is
// Unavailable. Debian's sbin directories are searched too, as sshd is not
// always on PATH.
func NeedProgram(tb testing.TB, name, pkg string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/sbin"} {
			if q := filepath.Join(dir, name); isExecutable(q) {
				p, err = q, nil
				break
			}
		}
	}
	if err == nil {
		p, err = filepath.Abs(p)
	}
	if err != nil {
		Unavailable(tb, "%s is not installed (Debian package %s; .ci/run installs it): %v", name, pkg, err)
	}
	return p
}

// NeedRoot stops a test that needs root (why says for what) when it does
// not run as root: Unavailable.
func NeedRoot(tb testing.TB, why string) {
	tb.Helper()
	if os.Geteuid() != 0 {
		Unavailable(tb, "%s", fmt.Sprintf("needs root: %s (euid %d)", why, os.Geteuid()))
	}
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}
