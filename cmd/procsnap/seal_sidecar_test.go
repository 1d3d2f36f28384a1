package main

// The ARCHIVE.sha256 sidecar (issue 20): beside an archive file, written
// once the archive is in place, in sha256sum -c format; not for standard
// output, devices, FIFOs or sockets; never over an existing file without
// --force.

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestSidecar(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("capture needs linux and root")
	}
	pid, _ := sealTarget(t)
	p := strconv.Itoa(pid)
	dir := t.TempDir()
	out := filepath.Join(dir, "a.psnap")
	if code, _, stderr := runCLI("capture", "--no-progress", "-o", out, p); code != 0 {
		t.Fatalf("capture: exit %d: %s", code, stderr)
	}
	want := sha256sum(t, out) + "  a.psnap\n"
	if b, err := os.ReadFile(out + ".sha256"); err != nil || string(b) != want {
		t.Errorf("sidecar holds %q (%v), want %q", b, err, want)
	}
	os.Remove(out)
	code, _, stderr := runCLI("capture", "--no-progress", "-o", out, p)
	if _, err := os.Stat(out); code != 1 || !strings.Contains(stderr, "a.psnap.sha256 already exists") || err == nil {
		t.Errorf("capture beside an existing sidecar: exit %d (%s), archive left: %v; want a refusal before anything is written", code, stderr, err == nil)
	}
	if code, _, stderr := runCLI("capture", "--no-progress", "--force", "-o", out, p); code != 0 {
		t.Errorf("--force over the sidecar: exit %d: %s", code, stderr)
	} else if b, _ := os.ReadFile(out + ".sha256"); string(b) != sha256sum(t, out)+"  a.psnap\n" {
		t.Errorf("--force: the sidecar was not replaced: %q", b)
	}
	none := filepath.Join(dir, "b.psnap")
	runCLI("capture", "--no-progress", "--no-sidecar", "-o", none, p)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		if f, err := os.Open(fifo); err == nil {
			buf := make([]byte, 1<<20)
			for n, err := f.Read(buf); n > 0 || err == nil; n, err = f.Read(buf) {
			}
			f.Close()
		}
	}()
	if code, _, stderr := runCLI("capture", "--no-progress", "-o", fifo, p); code != 0 {
		t.Errorf("capture into a FIFO: exit %d: %s", code, stderr)
	}
	for _, f := range []string{none + ".sha256", fifo + ".sha256"} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s was written (--no-sidecar, or a FIFO)", f)
		}
	}
}
