package main

// Capture of several processes into one set (issue 17): --tree, several
// --name matches, a tar stream through a pipe, a process that exits or is
// traced during the run, and --all / --user inside a PID namespace of the
// test's own.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
)

// setTree is a running testdata/set/tree.c: its processes, parent first.
type setTree struct {
	tag  string
	pids []int
}

func startSetTree(t *testing.T, children int) *setTree {
	t.Helper()
	setNeedRoot(t)
	tag := fmt.Sprintf("%08x", rand.Uint32())
	p := proctest.StartC(t, "set/tree.c", strconv.Itoa(children), tag)
	st := &setTree{tag: tag}
	for _, line := range p.Lines {
		if pid, ok := strings.CutPrefix(line, "proc "); ok {
			n, _ := strconv.Atoi(pid)
			st.pids = append(st.pids, n)
		}
	}
	if len(st.pids) != children+1 {
		t.Fatalf("tree target said %d processes, want %d", len(st.pids), children+1)
	}
	return st
}

func setNeedRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("capture sets need root (ptrace of processes this test did not start as its children)")
	}
}

func (st *setTree) secret(pid int) string {
	return fmt.Sprintf("procsnap-set-secret-%s-%d", st.tag, pid)
}

// setRun runs the built procsnap with args; it returns the exit code and stderr.
func setRun(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(proctest.Procsnap(t), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stderr.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

// setManifestOf reads DIR/manifest.json.
func setManifestOf(t *testing.T, dir string) setManifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m setManifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCaptureSetTree captures a forked tree with --tree into a directory:
// an archive per process holding its own secret, SHA256SUMS that
// sha256sum -c accepts, a manifest naming each, and verify of the set OK.
func TestCaptureSetTree(t *testing.T) {
	st := startSetTree(t, 3)
	dir := filepath.Join(t.TempDir(), "set")
	if code, stderr := setRun(t, "capture", "-q", "--tree", strconv.Itoa(st.pids[0]), "-o", dir); code != 0 {
		t.Fatalf("capture --tree: exit %d\n%s", code, stderr)
	}
	m := setManifestOf(t, dir)
	var got []int
	for _, p := range m.Processes {
		got = append(got, p.PID)
		if p.Outcome != outcomeCaptured || p.Archive != fmt.Sprintf("%d-tree.psnap", p.PID) {
			t.Errorf("manifest: %+v", p)
		}
		if code, stderr := setRun(t, "search", "--string", st.secret(p.PID), filepath.Join(dir, p.Archive)); code != 0 {
			t.Errorf("%s does not hold its process's secret: exit %d %s", p.Archive, code, stderr)
		}
	}
	slices.Sort(got)
	if want := slices.Sorted(slices.Values(st.pids)); !slices.Equal(got, want) {
		t.Errorf("captured %v, want the tree %v", got, want)
	}
	sums := exec.Command("sha256sum", "-c", "SHA256SUMS")
	sums.Dir = dir
	if out, err := sums.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c SHA256SUMS: %v\n%s", err, out)
	}
	if code, stderr := setRun(t, "verify", dir); code != 0 {
		t.Errorf("verify DIR: exit %d %s", code, stderr)
	}
	child := st.pids[2]
	out, err := exec.Command(proctest.Procsnap(t), "search", "--string", st.secret(child), dir).Output()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("%d:tree  ", child)) {
		t.Errorf("search of the set for PID %d's secret: %v, output does not name PID %d:\n%s", child, err, child, out)
	}
	if _, err := exec.LookPath("yara"); err == nil {
		rules := filepath.Join(t.TempDir(), "secret.yar")
		os.WriteFile(rules, []byte(fmt.Sprintf("rule child { strings: $a = %q condition: $a }\n", st.secret(child))), 0o600)
		out, err := exec.Command(proctest.Procsnap(t), "yara", rules, dir).Output()
		if err != nil || !strings.Contains(string(out), fmt.Sprintf("pid %d tree", child)) {
			t.Errorf("yara over the set for PID %d's secret: %v, output does not name PID %d:\n%s", child, err, child, out)
		}
	}
	info, err := exec.Command(proctest.Procsnap(t), "info", dir).Output()
	for _, pid := range st.pids {
		if err != nil || !strings.Contains(string(info), fmt.Sprintf("%d-tree.psnap", pid)) {
			t.Errorf("info of the set does not list PID %d: %v\n%s", pid, err, info)
		}
	}
}

// TestCaptureSetTarPipe streams a set as tar through a pipe: the digest
// capture prints for "-" is the stream's; tar -t lists every archive,
// SHA256SUMS and the manifest; tar -x gives files that sha256sum -c
// accepts; verify - checks the stream as it comes.
func TestCaptureSetTarPipe(t *testing.T) {
	st := startSetTree(t, 2)
	dir := t.TempDir()
	bin := proctest.Procsnap(t)
	tree := strconv.Itoa(st.pids[0])
	sh := fmt.Sprintf(`set -o pipefail; "%[1]s" capture --tree %[2]s -o - 2> capture.log | tee set.tar | "%[1]s" verify - && sed -n 's/  -$/  set.tar/p' capture.log | sha256sum -c && tar -tf set.tar && mkdir x && tar -xf set.tar -C x && cd x && sha256sum -c SHA256SUMS`, bin, tree)
	cmd := exec.Command("bash", "-c", sh)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("capture -o - | verify - | tar: %v\n%s", err, out)
	}
	for _, pid := range st.pids {
		if name := fmt.Sprintf("%d-tree.psnap", pid); !strings.Contains(string(out), name+"\n") || !strings.Contains(string(out), name+": OK") {
			t.Errorf("%s is not listed and checked:\n%s", name, out)
		}
	}
	for _, f := range []string{"SHA256SUMS\n", "manifest.json\n", "-: OK: a capture set of 3 archives", "set.tar: OK\n"} {
		if !strings.Contains(string(out), f) {
			t.Errorf("output does not say %q:\n%s", f, out)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "x"))
	if len(entries) != len(st.pids)+2 {
		t.Errorf("tar -x gave %d files, want %d", len(entries), len(st.pids)+2)
	}
}

// TestCaptureSetSurvives: a process that exits during the run, one that
// another process traces and a PID that does not exist are recorded in the
// manifest; the others are captured; the exit code says some were not;
// verify says the set is incomplete; nothing is left stopped.
func TestCaptureSetSurvives(t *testing.T) {
	st := startSetTree(t, 3)
	holder := proctest.StartTracer(t, st.pids[2]).PID
	gone := st.pids[len(st.pids)-1]
	dir := filepath.Join(t.TempDir(), "set")
	args := []string{"capture", "-q", "-o", dir, "999999999"}
	for _, p := range st.pids {
		args = append(args, strconv.Itoa(p))
	}
	cmd := exec.Command(proctest.Procsnap(t), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Once the first archive exists, the last child exits (SIGUSR1; its
	// parent reaps it) before its turn comes.
	first := filepath.Join(dir, fmt.Sprintf("%d-tree.psnap", st.pids[0]))
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if _, err := os.Stat(first); err == nil {
			break
		}
	}
	syscall.Kill(gone, syscall.SIGUSR1)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitIncomplete {
		t.Fatalf("exit %v, want %d\n%s", err, exitIncomplete, stderr.String())
	}
	want := map[int]string{st.pids[0]: outcomeCaptured, st.pids[1]: outcomeCaptured, st.pids[2]: outcomeSkipped, gone: outcomeVanished, 999999999: outcomeVanished}
	for _, p := range setManifestOf(t, dir).Processes {
		if want[p.PID] != p.Outcome {
			t.Errorf("PID %d: %s (%s), want %s", p.PID, p.Outcome, p.Reason, want[p.PID])
		}
		if p.PID == st.pids[2] && !strings.Contains(p.Reason, fmt.Sprintf("traced by PID %d", holder)) {
			t.Errorf("the traced process's reason %q does not name its tracer %d", p.Reason, holder)
		}
		delete(want, p.PID)
	}
	if len(want) > 0 {
		t.Errorf("the manifest lacks %v", want)
	}
	if code, _ := setRun(t, "verify", dir); code != exitFailure {
		t.Errorf("verify of a set with processes not captured: exit %d, want 1", code)
	}
	for _, p := range st.pids[:2] {
		proctest.CheckNotStopped(t, p)
	}
}

// TestCaptureSetNamespace runs capture --all and capture --user inside a
// PID namespace the test makes (unshare --pid --fork --mount-proc), where
// the only processes are the test's: the shell (PID 1 there) and two
// targets, one of them run by a throwaway uid. --all captures all three
// (never procsnap itself), --user only the throwaway uid's target. The
// machine's other processes are never selected: they are not in the
// namespace.
func TestCaptureSetNamespace(t *testing.T) {
	setNeedRoot(t)
	proctest.NeedProgram(t, "unshare", "util-linux") // for a PID namespace
	bin := proctest.BuildC(t, "set/tree.c")          // in a directory every user can read
	dir := t.TempDir()
	const uid = "54321"
	// The targets wait on a FIFO opened read-write: it never ends, and no
	// other process (such as a sleep feeding a pipe) is in the namespace.
	sh := fmt.Sprintf(`mkfifo hold
"%[1]s" 0 ns-root <>hold >/dev/null &
setpriv --reuid=%[3]s --regid=%[3]s --clear-groups "%[1]s" 0 ns-user <>hold >/dev/null &
sleep 0.5
"%[2]s" capture -q --all -o - > all.tar; echo "all $?"
"%[2]s" capture -q --user %[3]s -o - > user.tar; echo "user $?"`, bin, proctest.Procsnap(t), uid)
	cmd := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", sh)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "all 0") || !strings.Contains(string(out), "user 0") {
		t.Fatalf("in a PID namespace: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		file string
		want []string // the archives, in order
	}{{"all.tar", []string{"1-sh.psnap", "3-tree.psnap", "4-tree.psnap"}}, {"user.tar", []string{"4-tree.psnap"}}} {
		list, err := exec.Command("tar", "-tf", filepath.Join(dir, tc.file)).Output()
		if err != nil {
			t.Fatalf("tar -t %s: %v", tc.file, err)
		}
		names := strings.Fields(string(list))
		archives := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !strings.HasSuffix(n, ".psnap") })
		if !slices.Equal(archives, tc.want) || !slices.Contains(names, "manifest.json") || !slices.Contains(names, "SHA256SUMS") {
			t.Errorf("%s lists %v, want %v, SHA256SUMS and manifest.json", tc.file, names, tc.want)
		}
		if code, stderr := setRun(t, "verify", filepath.Join(dir, tc.file)); code != 0 {
			t.Errorf("verify %s: exit %d %s", tc.file, code, stderr)
		}
	}
}
