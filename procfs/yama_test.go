package procfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestPtraceScope(t *testing.T) {
	dir := t.TempDir()
	pfs := NewFS(dir)
	if _, err := pfs.PtraceScope(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("PtraceScope without Yama: %v, want fs.ErrNotExist", err)
	}
	path := filepath.Join(dir, "sys", "kernel", "yama", "ptrace_scope")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text    string
		want    int
		wantErr bool
	}{
		{"0\n", 0, false},
		{"1\n", 1, false},
		{"3\n", 3, false},
		{"1", 0, true},    // no newline: a truncated read
		{" 1\n", 0, true}, // the kernel prints "%d\n"
		{"x\n", 0, true},
		{"\n", 0, true},
	} {
		if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := pfs.PtraceScope()
		var perr *ParseError
		if tc.wantErr != errors.As(err, &perr) || got != tc.want {
			t.Errorf("PtraceScope of %q = %d, %v; want %d, error %v", tc.text, got, err, tc.want, tc.wantErr)
		}
	}
}
