package procfs

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// fixtures is the tree testdata/procfs/capture.sh copied from real processes.
var fixtures = NewFS("../testdata/procfs")

// The fixture processes, by the comm each had.
const (
	fixtureC    = "thread target" // src/threads.c: 5 threads, its binary deleted after start
	fixtureGo   = "procfs.test"   // TestHelperThreads with 4 locked threads
	fixtureBash = "bash"
)

// fixturePids returns the pid of each fixture process, found by its comm file.
func fixturePids(t testing.TB) map[string]int {
	t.Helper()
	entries, err := os.ReadDir(fixtures.Dir())
	if err != nil {
		t.Fatal(err)
	}
	pids := make(map[string]int)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := fixtures.Comm(pid)
		if err != nil {
			t.Fatal(err)
		}
		pids[comm] = pid
	}
	for _, name := range []string{fixtureC, fixtureGo, fixtureBash} {
		if _, ok := pids[name]; !ok {
			t.Fatalf("no fixture process %q in %s (run capture.sh)", name, fixtures.Dir())
		}
	}
	return pids
}

// rawLines splits a /proc text file into its lines, without newlines.
func rawLines(raw []byte) []string {
	if len(raw) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
}
