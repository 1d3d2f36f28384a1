package fleettest

// What every fleet test needs: the programs it drives, procsnap and the C
// target built once, targets started and stopped, and the checks an examiner
// runs on an archive that arrived.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
)

// packages names the Debian package that brings each program the tests run,
// for the message when one is missing.
var packages = map[string]string{
	"sshd":             "openssh-server",
	"ssh":              "openssh-client",
	"ssh-keygen":       "openssh-client",
	"ansible-playbook": "ansible",
	"gcc":              "gcc",
}

// need returns the absolute path of program name: proctest.NeedProgram
// with its Debian package.
func need(t *testing.T, name string) string {
	t.Helper()
	return proctest.NeedProgram(t, name, packages[name])
}

// needRoot stops the test unless it runs as root: procsnap traces targets
// that are not its children, and sshd switches to the user who logs in.
func needRoot(t *testing.T) {
	t.Helper()
	proctest.NeedRoot(t, "procsnap attaches to a process it did not start, and sshd logs root in")
}

func TestMain(m *testing.M) { proctest.Main(m) }

// binaries returns procsnap as `make build` builds it (static, so that it
// runs on any Linux host it is copied to) and testdata/fleet/target.c,
// built once per test binary by internal/proctest.
func binaries(t *testing.T) (procsnap, target string) {
	t.Helper()
	need(t, "gcc")
	procsnap = proctest.ProcsnapRelease(t)
	if err := checkStatic(procsnap); err != nil {
		t.Fatal(err)
	}
	return procsnap, proctest.BuildC(t, "fleet/target.c")
}

// checkStatic fails for an executable that asks for a dynamic loader: the
// playbook and the artifact copy one binary to hosts whatever their libc.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked (PT_INTERP): build it with CGO_ENABLED=0", path)
		}
	}
	return nil
}

// target is a running testdata/fleet/target.c.
type target struct {
	pid    int
	word   string // its argument, random: only its command line holds it
	secret string // what its heap holds: "procsnap-fleet-secret=" + word
}

// startTarget starts the C target with a fresh random secret and waits until
// the secret is in its heap. It is ended when t ends.
func startTarget(t *testing.T, bin string) target {
	t.Helper()
	word := randomWord(t)
	p := proctest.StartReady(t, exec.Command(bin, word))
	return target{pid: p.PID, word: word, secret: "procsnap-fleet-secret=" + word}
}

// hasNameSelector tells whether this procsnap selects by --name REGEX
// (being added while the fleet tests were written): the tests then select
// one target by name too.
func hasNameSelector(t *testing.T, procsnap string) bool {
	t.Helper()
	r := run(t, exec.Command(procsnap, "capture", "--help"))
	return r.code == 0 && bytes.Contains(r.stdout, []byte("--name"))
}

// gonePID returns the PID of a process that has exited and been reaped.
func gonePID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func randomWord(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// result is how a program run by the tests ended.
type result struct {
	stdout, stderr []byte
	code           int
}

// run runs a program to its end; a failure to start it fails the test, an
// exit code is the caller's to judge.
func run(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var out, errb bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	cmd.Stderr = &errb
	err := cmd.Run()
	r := result{stdout: out.Bytes(), stderr: errb.Bytes()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	return r
}

// digestLine is the last line of capture's summary: the archive's SHA-256 as
// sha256sum prints it, for the file written or `-` for a stream.
var digestLine = regexp.MustCompile(`(?m)^([0-9a-f]{64})  (.+)$`)

// printedDigest returns the digest capture printed for name (a path, or "-").
func printedDigest(t *testing.T, stderr []byte, name string) string {
	t.Helper()
	for _, m := range digestLine.FindAllSubmatch(stderr, -1) {
		if string(m[2]) == name {
			return string(m[1])
		}
	}
	t.Fatalf("no SHA-256 line for %q in capture's stderr:\n%s", name, stderr)
	return ""
}

// fileDigest is sha256sum of path.
func fileDigest(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// examine runs what an examiner runs on an archive that arrived: verify
// (exit 0: intact and complete), info (it is the process that was meant),
// and search for the target's secret, which must be found in its heap;
// each string of absent must not be found anywhere (another host's secret).
func examine(t *testing.T, procsnap, archive string, tg target, absent ...string) {
	t.Helper()
	if r := run(t, exec.Command(procsnap, "verify", archive)); r.code != 0 {
		t.Errorf("procsnap verify %s: exit %d\n%s%s", archive, r.code, r.stdout, r.stderr)
	}
	r := run(t, exec.Command(procsnap, "info", "--json", archive))
	var info struct {
		PID      int  `json:"pid"`
		Complete bool `json:"complete"`
	}
	if err := json.Unmarshal(r.stdout, &info); err != nil || r.code != 0 {
		t.Fatalf("procsnap info --json %s: exit %d, %v\n%s", archive, r.code, err, r.stderr)
	}
	if info.PID != tg.pid || !info.Complete {
		t.Errorf("%s holds pid %d (complete %v), want pid %d, complete", archive, info.PID, info.Complete, tg.pid)
	}
	if paths := searchPaths(t, procsnap, archive, tg.secret); !slices.Contains(paths, "[heap]") {
		t.Errorf("procsnap search --string %q %s: found in %q, want [heap]", tg.secret, archive, paths)
	}
	for _, s := range absent {
		if paths := searchPaths(t, procsnap, archive, s); len(paths) != 0 {
			t.Errorf("%s holds %q (in %q): another process's secret", archive, s, paths)
		}
	}
}

// searchPaths returns the region path of each match of text in archive.
func searchPaths(t *testing.T, procsnap, archive, text string) []string {
	t.Helper()
	r := run(t, exec.Command(procsnap, "search", "--json", "--string", text, archive))
	if r.code != 0 && r.code != 1 {
		t.Fatalf("procsnap search %s: exit %d\n%s", archive, r.code, r.stderr)
	}
	var res struct {
		Matches []struct {
			Path string `json:"path"`
		} `json:"matches"`
	}
	if err := json.Unmarshal(r.stdout, &res); err != nil {
		t.Fatalf("procsnap search --json: %v\n%s", err, r.stdout)
	}
	var paths []string
	for _, m := range res.Matches {
		paths = append(paths, m.Path)
	}
	return paths
}

// logDuration logs how long the test took from start, for the suite's time
// budget.
func logDuration(t *testing.T, what string, start time.Time) {
	t.Logf("%s took %s", what, time.Since(start).Round(time.Millisecond))
}

// itoa is strconv.Itoa, short for argv lists.
func itoa(n int) string { return strconv.Itoa(n) }
