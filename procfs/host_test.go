package procfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestHostFixtures(t *testing.T) {
	h, err := fixtures.Host()
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(fixtures.Dir(), "sys", "kernel", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b[:len(b)-1])
	}
	want := Host{
		Hostname: read("hostname"),
		Release:  read("osrelease"),
		Version:  read("version"),
		Machine:  "x86_64",
		BootID:   read("random/boot_id"),
		BootTime: h.BootTime,
		PageSize: os.Getpagesize(),
	}
	if h != want || h.BootTime < 1e9 || len(h.BootID) != 36 {
		t.Errorf("Host() =\n %+v\nwant\n %+v", h, want)
	}
}

func TestHostErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fs := NewFS(dir)
	if _, err := fs.Host(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Host of an empty tree: %v, want ErrNotExist", err)
	}
	for _, name := range []string{"hostname", "osrelease", "version", "random/boot_id"} {
		write("sys/kernel/"+name, "x\n")
	}
	write("stat", "cpu  1 2 3\nbtime x\n")
	var perr *ParseError
	if _, err := fs.Host(); !errors.As(err, &perr) || perr.Line != 2 {
		t.Errorf("Host with a bad btime: %v, want a *ParseError at line 2", err)
	}
	write("stat", "cpu  1 2 3\nbtime 1795633462\n")
	h, err := fs.Host()
	if err != nil || h.BootTime != 1795633462 || h.Machine == "" {
		t.Errorf("Host without sys/kernel/arch (uname fallback) = %+v, %v", h, err)
	}
	write("sys/kernel/hostname", "no newline")
	if _, err := fs.Host(); !errors.As(err, &perr) || perr.File != filepath.Join(dir, "sys/kernel/hostname") {
		t.Errorf("Host with a truncated hostname: %v, want a *ParseError naming the file", err)
	}
}
