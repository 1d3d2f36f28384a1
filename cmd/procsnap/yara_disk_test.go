//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/internal/proctest"
)

// yaraShim stands in for yara and yarac: it logs its arguments and where
// each of its descriptors leads, then runs the real program.
const yaraShim = `#!/bin/sh
{
	echo "exec $REAL_DIR/$(basename "$0") $*"
	for fd in /proc/$$/fd/*; do echo "fd ${fd##*/} $(readlink "$fd")"; done
} >> "$YARA_SHIM_LOG"
exec "$REAL_DIR/$(basename "$0")" "$@"
`

// No byte of the snapshot reaches a file: procsnap yara, run with TMPDIR an
// empty directory, leaves it empty, and yara and yarac are handed no file
// but memfds (compiled rules, the scan list, one per run), and no path but
// /proc/self/fd ones (and yarac the rule file). The shim's descriptor list
// shows its own too: the log, its script, pipes of its $(...).
func TestYaraNoMemoryOnDisk(t *testing.T) {
	needYaraProgram(t)
	real, err := exec.LookPath("yara")
	srchMust(t, err)
	archive, _ := yaraFixtureArchive(t)
	rules, err := filepath.Abs(yaraRules)
	srchMust(t, err)
	shims, tmp := t.TempDir(), t.TempDir()
	log := filepath.Join(t.TempDir(), "shim.log")
	for _, name := range []string{"yara", "yarac"} {
		srchMust(t, os.WriteFile(filepath.Join(shims, name), []byte(yaraShim), 0o755))
	}
	cmd := exec.Command(proctest.Procsnap(t), "yara", rules, archive)
	cmd.Env = append(os.Environ(), "PATH="+shims+":/usr/bin:/bin", "TMPDIR="+tmp, "YARA_SHIM_LOG="+log, "REAL_DIR="+filepath.Dir(real))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "8 hit(s)") {
		t.Fatalf("procsnap yara: %v\n%s", err, out)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("TMPDIR holds %v after the scan", left)
	}
	text, err := os.ReadFile(log)
	srchMust(t, err)
	runs := 0
	for _, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		f := strings.Fields(line)
		switch {
		case f[0] == "exec":
			checkShimArgs(t, f[2:], rules)
		case f[0] == "fd" && len(f) >= 3:
			fd, target := f[1], strings.Join(f[2:], " ")
			if fd == "0" || fd == "1" || fd == "2" || target == log || strings.HasPrefix(target, shims) || !strings.HasPrefix(target, "/") {
				continue // the shim's own, and pipes (not files)
			}
			if !strings.HasPrefix(target, "/memfd:procsnap-yara-") && target != "/dev/null" {
				t.Errorf("a child of procsnap yara has descriptor %s open on the file %s", fd, target)
			}
			if strings.HasPrefix(target, "/memfd:procsnap-yara-run") {
				runs++
			}
		}
	}
	if runs != 6 {
		t.Errorf("yara was handed %d memfds of runs, want the 6 runs", runs)
	}
}

// checkShimArgs checks that every file argument of yara or yarac is a
// descriptor under /proc/self/fd, or the rule file given to yarac.
func checkShimArgs(t *testing.T, args []string, rules string) {
	t.Helper()
	for i, a := range args {
		switch {
		case strings.HasPrefix(a, "-") || a == "default:"+rules || strings.HasPrefix(a, "/proc/self/fd/"):
		case i > 0 && args[i-1] == "-p":
		default:
			t.Errorf("yara or yarac got the argument %q (args %q)", a, args)
		}
	}
}
