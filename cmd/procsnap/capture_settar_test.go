package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/internal/proctest"
)

// TestCaptureSetTarFile: -o FILE.tar writes a set as one tar file, even
// for one PID (a set of one): the digest printed is the file's, the
// FILE.tar.sha256 beside it checks with sha256sum -c, verify reads the
// tar, and tar -x gives the archive, SHA256SUMS and the manifest. An
// existing FILE.tar is not replaced without --force, --together is
// refused, and --no-sidecar writes no sidecar.
func TestCaptureSetTarFile(t *testing.T) {
	st := startSetTree(t, 1)
	dir := t.TempDir()
	bin := proctest.Procsnap(t)
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	pid := strconv.Itoa(st.pids[0])
	if code, out := run("capture", "--no-progress", "-o", "one.tar", pid); code != 0 {
		t.Fatalf("capture -o one.tar: exit %d\n%s", code, out)
	} else if raw, err := os.ReadFile(filepath.Join(dir, "one.tar")); err != nil {
		t.Fatal(err)
	} else if sum := sha256.Sum256(raw); !strings.Contains(out, hex.EncodeToString(sum[:])+"  one.tar\n") {
		t.Errorf("the digest line is not the file's (%x):\n%s", sum, out)
	}
	if fi, err := os.Stat(filepath.Join(dir, "one.tar")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("one.tar: mode %v (%v), want 0600", fi.Mode(), err)
	}
	sh := exec.Command("bash", "-c", fmt.Sprintf(`set -e; sha256sum -c one.tar.sha256; "%s" verify one.tar; mkdir x; tar -xf one.tar -C x; cd x; ls; sha256sum -c SHA256SUMS`, bin))
	sh.Dir = dir
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("check one.tar: %v\n%s", err, out)
	}
	for _, want := range []string{"one.tar: OK\n", "OK: a capture set of 1 archive", pid + "-tree.psnap: OK", "manifest.json\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the checks do not say %q:\n%s", want, out)
		}
	}
	if code, out := run("capture", "-q", "-o", "one.tar", pid); code != 1 || !strings.Contains(out, "one.tar already exists (use --force") {
		t.Errorf("capture over one.tar: exit %d, want 1 and a message naming --force:\n%s", code, out)
	}
	if code, out := run("capture", "--together", "-o", "two.tar", pid); code != 2 || !strings.Contains(out, "give -o DIR") {
		t.Errorf("--together -o two.tar: exit %d, want 2:\n%s", code, out)
	}
	if code, out := run("capture", "-q", "--no-sidecar", "-o", "two.tar", pid, strconv.Itoa(st.pids[1])); code != 0 {
		t.Errorf("capture --no-sidecar -o two.tar: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "two.tar.sha256")); !os.IsNotExist(err) {
		t.Errorf("--no-sidecar wrote two.tar.sha256 (%v)", err)
	}
	if code, out := run("verify", "two.tar"); code != 0 || !strings.Contains(out, "a capture set of 2 archives") {
		t.Errorf("verify two.tar: exit %d\n%s", code, out)
	}
}
