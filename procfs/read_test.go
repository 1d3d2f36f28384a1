package procfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int64{1000, 1001, 1 << 20} {
		if b, err := readBounded(path, limit); err != nil || len(b) != 1000 {
			t.Errorf("readBounded(limit %d) = %d bytes, %v; want all 1000", limit, len(b), err)
		}
	}
	b, err := readBounded(path, 999)
	if !errors.Is(err, ErrTooLarge) || b != nil {
		t.Fatalf("readBounded(limit 999) = %d bytes, %v; want ErrTooLarge", len(b), err)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "999") {
		t.Errorf("error %q does not name the file and the limit", msg)
	}
}

// TestReadBoundedProc reads a /proc file whose stat size (0) is not its length.
func TestReadBoundedProc(t *testing.T) {
	const path = "/proc/self/status"
	fi, err := os.Stat(path)
	if err != nil {
		t.Skipf("no procfs: %v", err)
	}
	b, err := readBounded(path, maxSmall)
	if err != nil || int64(len(b)) <= fi.Size() {
		t.Errorf("readBounded(%s) = %d bytes (stat says %d), %v", path, len(b), fi.Size(), err)
	}
}

func TestReadLine(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, text, want, err string
	}{
		{"line", "procsnap\n", "procsnap", ""},
		{"spaces kept", " a  b \n", " a  b ", ""},
		{"empty", "", "", "empty file"},
		{"no newline", "abc", "", "no newline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readLine(path)
			if got != tc.want || (tc.err == "") != (err == nil) || !strings.Contains(fmt.Sprint(err), tc.err) {
				t.Errorf("readLine = %q, %v; want %q, error with %q", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		err  *ParseError
		want string
	}{
		{&ParseError{File: "/proc/42/maps", Line: 3, Text: "bad", Reason: "why"}, `parse /proc/42/maps:3: why: "bad"`},
		{&ParseError{Reason: "why"}, "parse /proc text: why"},
		{&ParseError{Text: strings.Repeat("x", 300), Reason: "why"},
			`parse /proc text: why: "` + strings.Repeat("x", maxErrorText) + `"...`},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestTasksErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "42", "task", "not-a-tid"), 0o755); err != nil {
		t.Fatal(err)
	}
	var perr *ParseError
	if tids, err := NewFS(dir).Tasks(42); !errors.As(err, &perr) || perr.Text != "not-a-tid" {
		t.Errorf("Tasks with a bad entry = %v, %v; want a *ParseError", tids, err)
	}
}

func TestFSDir(t *testing.T) {
	if d := (FS{}).Dir(); d != "/proc" {
		t.Errorf("zero FS reads %q, want /proc", d)
	}
	if d := Default().Dir(); d != "/proc" {
		t.Errorf("Default() reads %q, want /proc", d)
	}
	if p := NewFS("x").pidPath(1, "maps"); p != filepath.Join("x", "1", "maps") {
		t.Errorf("pidPath = %q", p)
	}
}
