package fleettest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// examineSet runs what an examiner runs on a set that arrived as one tar
// file: procsnap verify reads it as it is (exit 0: every archive intact
// and complete); tar -x gives SHA256SUMS, which sha256sum -c accepts, and
// manifest.json, which names every target captured; and each target's
// archive passes examine, without the other targets' secrets.
func examineSet(t *testing.T, procsnap, set string, tgs ...target) {
	t.Helper()
	if r := run(t, exec.Command(procsnap, "verify", set)); r.code != 0 {
		t.Errorf("procsnap verify %s: exit %d\n%s%s", set, r.code, r.stdout, r.stderr)
	}
	dir := t.TempDir()
	if r := run(t, exec.Command("tar", "-x", "-f", set, "-C", dir)); r.code != 0 {
		t.Fatalf("tar -x %s: exit %d\n%s", set, r.code, r.stderr)
	}
	sums := exec.Command("sha256sum", "-c", "--strict", "SHA256SUMS")
	sums.Dir = dir
	if r := run(t, sums); r.code != 0 {
		t.Errorf("sha256sum -c SHA256SUMS in the extracted set: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatalf("the set has no manifest: %v", err)
	}
	var man struct {
		Processes []setEntry `json:"processes"`
	}
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatalf("manifest.json: %v\n%s", err, raw)
	}
	var secrets []string
	for _, tg := range tgs {
		secrets = append(secrets, tg.secret)
	}
	for _, tg := range tgs {
		i := slices.IndexFunc(man.Processes, func(p setEntry) bool { return p.PID == tg.pid })
		if i < 0 || man.Processes[i].Outcome != "captured" {
			t.Errorf("the manifest does not say PID %d was captured:\n%s", tg.pid, raw)
			continue
		}
		others := slices.DeleteFunc(slices.Clone(secrets), func(s string) bool { return s == tg.secret })
		examine(t, procsnap, filepath.Join(dir, man.Processes[i].Archive), tg, others...)
	}
	if len(man.Processes) != len(tgs) {
		t.Errorf("the manifest names %d processes, want %d:\n%s", len(man.Processes), len(tgs), raw)
	}
}

// setEntry is what examineSet reads of a process in a set's manifest.
type setEntry struct {
	PID     int    `json:"pid"`
	Outcome string `json:"outcome"`
	Archive string `json:"archive"`
}

// checkSetEvidence checks a host's evidence directory holding one set:
// NAME.tar, mode 0600, with NAME.tar.sha256 beside it, and no archive.
func checkSetEvidence(t *testing.T, procsnap, dir string, tgs ...target) {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.tar"))
	if a, _ := filepath.Glob(filepath.Join(dir, "*.psnap")); len(m) != 1 || len(a) != 0 {
		t.Errorf("%s holds sets %q and archives %q, want one set", dir, m, a)
		return
	}
	set := m[0]
	if fi, err := os.Stat(set); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v (%v), want 0600", set, fi.Mode(), err)
	}
	sum, err := os.ReadFile(set + ".sha256")
	if want := fileDigest(t, set) + "  " + filepath.Base(set) + "\n"; err != nil || string(sum) != want {
		t.Errorf("%s.sha256 = %q (%v), want %q", set, sum, err, want)
	}
	examineSet(t, procsnap, set, tgs...)
}

// pids is the targets' PIDs as arguments.
func pids(tgs ...target) []string {
	var out []string
	for _, tg := range tgs {
		out = append(out, fmt.Sprint(tg.pid))
	}
	return out
}
