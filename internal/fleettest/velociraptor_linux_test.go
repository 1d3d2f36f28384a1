package fleettest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestVelociraptorRun runs the argv the artifact builds, as execve would
// run it on a client, against a target the test started: with Pid and,
// when this procsnap has --name, with ProcessName. The set (procsnap.tar)
// goes into a fresh directory as the query's tempdir() makes it; procsnap
// exits 0, the query's own regex finds the digest in stderr, it equals the
// SHA-256 of the file that upload() would send (what hash() computes), and
// the set passes examineSet.
func TestVelociraptorRun(t *testing.T) {
	t.Parallel()
	needRoot(t)
	procsnap, targetBin := binaries(t)
	a := loadArtifact(t)
	digest := digestRegex(t, a.Sources[0].Query)
	tg := startTarget(t, targetBin)
	cases := map[string]map[string]any{"Pid": {"Pid": int64(tg.pid)}}
	if hasNameSelector(t, procsnap) {
		cases["ProcessName"] = map[string]any{"ProcessName": tg.word}
	}
	for name, params := range cases {
		t.Run(name, func(t *testing.T) {
			archive := filepath.Join(t.TempDir(), "procsnap.tar")
			argv, err := artifactArgv(t, a, params, procsnap, archive)
			if err != nil {
				t.Fatal(err)
			}
			r := run(t, exec.Command(argv[0], argv[1:]...))
			if r.code != 0 {
				t.Fatalf("%q: exit %d\n%s", argv, r.code, r.stderr)
			}
			m := digest.FindSubmatch(r.stderr)
			if m == nil {
				t.Fatalf("the query's regex %s finds no digest in:\n%s", digest, r.stderr)
			}
			if got := fileDigest(t, archive); string(m[1]) != got {
				t.Errorf("PrintedSha256 %s, Sha256 of the set %s", m[1], got)
			}
			if fi, err := os.Stat(archive); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("set mode %v (%v), want 0600", fi.Mode(), err)
			}
			examineSet(t, procsnap, archive, tg)
		})
	}
}
