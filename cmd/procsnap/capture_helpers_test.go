package main

// Helpers of the capture verb's tests: open archives, read digests. They run
// it with runCLI (cli_helpers_test.go) and compare archives with
// formattest.Same.
// The live target is internal/proctest's Threads (testdata/capture/threads.c).

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// captOpen opens an archive; it is closed when t ends.
func captOpen(t *testing.T, path string) *format.Reader {
	t.Helper()
	r, err := format.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// captSHA256Line returns the digest of the summary's last line, which
// names the archive as sha256sum does.
func captSHA256Line(t *testing.T, stderr, name string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	sum, file, ok := strings.Cut(last, "  ")
	if !ok || file != name || len(sum) != 64 {
		t.Fatalf("last line of the summary is %q, want \"<sha256>  %s\"", last, name)
	}
	return sum
}

// sha256sum runs sha256sum on path.
func sha256sum(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("sha256sum", path).Output()
	if err != nil {
		t.Fatalf("sha256sum %s: %v", path, err)
	}
	sum, _, _ := strings.Cut(string(out), " ")
	return sum
}
