package main

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

// ecArchive writes a small archive captured on machine: one
// thread, one region of two data pages.
func ecArchive(t *testing.T, machine string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.psnap")
	formattest.Archive{
		Options: format.WriterOptions{Workers: 1},
		Meta:    &format.Meta{PID: 7, Comm: "t", Exe: "/bin/t", Host: format.Host{Machine: machine, PageSize: 4096}},
		Auxv:    make([]byte, 16),
		Threads: []format.Thread{{TID: 7, RegSets: []format.RegSet{{Type: 1, Data: make([]byte, 216)}}}},
		Regions: []formattest.Region{{Desc: format.RegionDesc{Start: 0x10000, Perms: "rw-p"}, Layout: "DD",
			Data: bytes.Repeat([]byte("procsnap"), 1024)}},
		End: format.End{Complete: true},
	}.WriteFile(t, path)
	return path
}

func TestExportCoreCLI(t *testing.T) {
	archive := ecArchive(t, "x86_64")
	core := archive + ".core"
	if code, _, stderr := runCLI("export-core", archive); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ecCheckCoreFile(t, core)

	// An existing file is not replaced without --force.
	if err := os.WriteFile(core, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI("export-core", archive)
	if code != exitFailure || !strings.Contains(stderr, "already exists (use --force") {
		t.Fatalf("exit %d, stderr %q: want 1 and a --force hint", code, stderr)
	}
	if b, _ := os.ReadFile(core); string(b) != "keep me" {
		t.Fatalf("the existing file was changed without --force")
	}
	// With --force it is replaced, and its mode tightened to 0600.
	if code, _, stderr := runCLI("export-core", "--force", archive); code != exitOK {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	ecCheckCoreFile(t, core)
}

func ecCheckCoreFile(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("debug/elf: %v", err)
	}
	defer f.Close()
	if f.Type != elf.ET_CORE || len(f.Progs) != 2 {
		t.Errorf("type %v with %d program headers, want ET_CORE with 2", f.Type, len(f.Progs))
	}
}

func TestExportCoreCLIOutputs(t *testing.T) {
	archive := ecArchive(t, "x86_64")
	out := filepath.Join(t.TempDir(), "x.core")
	if code, _, stderr := runCLI("export-core", "-o", out, archive); code != exitOK {
		t.Fatalf("-o: exit %d: %s", code, stderr)
	}
	ecCheckCoreFile(t, out)
	code, stdout, stderr := runCLI("export-core", "-o", "-", archive)
	want, _ := os.ReadFile(out)
	if code != exitOK || stdout != string(want) {
		t.Fatalf("-o -: exit %d, %d bytes on stdout, want %d: %s", code, len(stdout), len(want), stderr)
	}
	if _, err := os.Stat(archive + ".core"); err == nil {
		t.Errorf("-o was given but the default output was written")
	}
}

func TestExportCoreCLIErrors(t *testing.T) {
	archive := ecArchive(t, "x86_64")
	arm := ecArchive(t, "aarch64")
	orig, _ := os.ReadFile(archive)
	text := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(text, []byte("an examiner's notes, not an archive\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"machine", []string{arm}, exitFailure, `machine "aarch64": machine not supported yet`},
		{"self", []string{"--force", "-o", archive, archive}, exitUsage, "is the archive itself"},
		{"no archive", nil, exitUsage, "want 1 argument"},
		{"missing", []string{archive + ".nope"}, exitFailure, "no such file"},
		{"not an archive", []string{text}, exitFailure, "not a procsnap archive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(append([]string{"export-core"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
	if _, err := os.Stat(arm + ".core"); err == nil {
		t.Errorf("a core was left behind for an unsupported machine")
	}
	if b, _ := os.ReadFile(archive); !bytes.Equal(b, orig) {
		t.Errorf("the archive was changed")
	}
	code, stdout, _ := runCLI("export-core", "--help")
	if code != exitOK || !strings.Contains(stdout, "Usage: procsnap export-core") {
		t.Errorf("--help: exit %d, stdout %q", code, stdout)
	}
}

// TestExportCoreCLIInterrupted: an export stopped by SIGINT exits 130 and
// leaves no partial core.
func TestExportCoreCLIInterrupted(t *testing.T) {
	archive := ecArchive(t, "x86_64")
	code, _, stderr := runCLIContext(sigintContext(), "export-core", archive)
	if code != 130 || !strings.Contains(stderr, "interrupted by SIGINT") {
		t.Errorf("exit %d, stderr %q; want 130 and the signal named", code, stderr)
	}
	if _, err := os.Stat(archive + ".core"); err == nil {
		t.Errorf("a partial core was left behind")
	}
}
