package fleettest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pushScript is what the host runs when procsnap is not installed there:
// the binary arrives on ssh's stdin into a private temporary directory,
// runs with its archive streamed back on stdout, and the directory is
// removed on every way out. %d is the PID. docs/FLEET.md shows it.
const pushScript = `d=$(mktemp -d "${TMPDIR:-/tmp}/procsnap.XXXXXX") || exit 1
trap 'rm -rf "$d"' EXIT
trap 'exit 1' HUP INT TERM
cat > "$d/procsnap" && chmod 700 "$d/procsnap" && "$d/procsnap" capture -o - %d`

// TestSSHStream captures a process through a real sshd: the archive streams
// to the control side on ssh's stdout, and the SHA-256 that procsnap printed
// on the host's stderr is sha256sum of what arrived. The archive verifies,
// is the target's (info) and holds the target's planted secret (search).
//
// installed: procsnap is already on the host (`ssh HOST procsnap capture
// -o - PID > x.psnap`). set: two PIDs, a set as one tar stream, checked
// the same way. pushed: it is not; the binary goes up on the same
// connection and the host keeps nothing (its temporary directory is gone).
func TestSSHStream(t *testing.T) {
	t.Parallel()
	start := time.Now()
	defer logDuration(t, "TestSSHStream", start)
	srv := startSSHD(t)
	procsnap, targetBin := binaries(t)
	tg := startTarget(t, targetBin)

	t.Run("installed", func(t *testing.T) {
		archive := filepath.Join(t.TempDir(), "x.psnap")
		cmd := srv.command(procsnap, "capture", "-o", "-", itoa(tg.pid))
		stream(t, procsnap, cmd, archive, tg)
	})

	t.Run("set", func(t *testing.T) {
		// Two processes give a set: one tar stream, its digest printed
		// for "-" as for one archive.
		other := startTarget(t, targetBin)
		set := filepath.Join(t.TempDir(), "set.tar")
		arrive(t, srv.command(append([]string{procsnap, "capture", "-o", "-"}, pids(tg, other)...)...), set)
		examineSet(t, procsnap, set, tg, other)
	})

	t.Run("pushed", func(t *testing.T) {
		hostTmp := t.TempDir() // the host's $TMPDIR
		bin, err := os.Open(procsnap)
		if err != nil {
			t.Fatal(err)
		}
		defer bin.Close()
		script := "TMPDIR=" + hostTmp + "\n" + fmt.Sprintf(pushScript, tg.pid)
		cmd := srv.command(script)
		cmd.Stdin = bin
		archive := filepath.Join(t.TempDir(), "x.psnap")
		stream(t, procsnap, cmd, archive, tg)
		left, err := os.ReadDir(hostTmp)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 0 {
			t.Errorf("the host kept %d entries in its temporary directory (%s), want none", len(left), left[0].Name())
		}
	})
}

// stream runs ssh cmd with its stdout into archive (as `> x.psnap` does),
// checks that it arrived whole (arrive) and that the archive passes
// examine.
func stream(t *testing.T, procsnap string, c *exec.Cmd, archive string, tg target) {
	t.Helper()
	arrive(t, c, archive)
	examine(t, procsnap, archive, tg)
}

// arrive runs ssh cmd with its stdout into the new file path and checks
// what arrived: exit 0, and the digest printed for "-" is the file's.
func arrive(t *testing.T, c *exec.Cmd, path string) {
	t.Helper()
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout = out
	r := run(t, c)
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if r.code != 0 {
		t.Fatalf("%s: exit %d\n%s", strings.Join(c.Args, " "), r.code, r.stderr)
	}
	printed, got := printedDigest(t, r.stderr, "-"), fileDigest(t, path)
	if printed != got {
		t.Errorf("the host printed SHA-256 %s, the file that arrived has %s", printed, got)
	}
}
