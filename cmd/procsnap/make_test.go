package main

// Tests of the Makefile targets a new user runs first, each in a copy of
// this checkout committed to a fresh git repository, as a fresh clone.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/internal/proctest"
)

// checkoutCopy copies this checkout's files (tracked, and untracked ones
// not ignored) into a new directory that every user can read, and commits
// them to a fresh git repository there. It skips the test without git or
// make.
func checkoutCopy(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"git", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the Makefile tests need it", tool)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	list, err := exec.Command("git", "-C", root, "ls-files", "-z", "-co", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): the Makefile tests copy one", err)
	}
	dir, err := os.MkdirTemp("", "procsnap-checkout-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		copyFile(t, filepath.Join(root, name), filepath.Join(dir, name))
	}
	git(t, dir, "init", "-q")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "copy")
	return dir
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	st, err := os.Lstat(from)
	if os.IsNotExist(err) {
		return // deleted in the work tree, not yet in git
	}
	if err == nil {
		err = os.MkdirAll(filepath.Dir(to), 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(from)
		if err == nil {
			err = os.Symlink(target, to)
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(from)
	if err == nil {
		err = os.WriteFile(to, b, st.Mode().Perm()|0o444)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// git runs git in dir as a user who has no configuration, and returns its
// output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=procsnap test", "-c", "user.email=test@procsnap.invalid",
		"-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// runMake runs make with args in dir and returns its exit code and output.
func runMake(t *testing.T, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command("make", append([]string{"--no-print-directory"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("make %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// TestMakeInstallVersion: make install DESTDIR=... creates the directories
// it needs, and the binary reports a semantic version from the latest vX.Y.Z
// tag plus the commit (0.0.0-dev+COMMIT before the first tag).
func TestMakeInstallVersion(t *testing.T) {
	dir := checkoutCopy(t)
	commit := strings.TrimSpace(git(t, dir, "rev-parse", "--short=12", "HEAD"))
	dest := filepath.Join(dir, "dest")
	for _, c := range []struct {
		tag  string // tag HEAD with this first; "+1": commit once more
		want string
	}{
		{"", "0.0.0-dev+" + commit},
		{"v1.4.2", "1.4.2+" + commit},
		{"+1", "1.4.3-dev.1+"},
	} {
		switch c.tag {
		case "":
		case "+1":
			git(t, dir, "commit", "-q", "--allow-empty", "-m", "one more")
			c.want += strings.TrimSpace(git(t, dir, "rev-parse", "--short=12", "HEAD"))
		default:
			git(t, dir, "tag", c.tag)
		}
		os.RemoveAll(dest)
		code, stdout, stderr := runMake(t, dir, nil, "GO="+proctest.GoTool(), "install", "DESTDIR="+dest)
		if code != 0 {
			t.Fatalf("make install DESTDIR=%s: exit %d\n%s%s", dest, code, stdout, stderr)
		}
		out, err := exec.Command(filepath.Join(dest, "usr/local/bin/procsnap"), "--version").Output()
		if err != nil {
			t.Fatalf("the installed procsnap: %v", err)
		}
		if got := strings.TrimSpace(string(out)); got != "procsnap "+c.want || !semver.MatchString(c.want) {
			t.Errorf("tag %q: --version says %q, want %q", c.tag, got, "procsnap "+c.want)
		}
	}
}
