package main

// Output safety (issue 15, item 1): every verb that writes a file writes
// onto every kind of path the test creates itself, with and without
// --force. Only a regular file is ever replaced; a character device, FIFO
// or socket is written to as it is; a directory and links to a directory,
// a file or nothing are refused. Nothing under /dev is touched.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
	"golang.org/x/sys/unix"
)

// outCase is one kind of path: how to make it, whether the verb writes to
// it (then the bytes written are read from receive, nil for a sink that
// keeps nothing), and otherwise the message that refuses it.
type outCase struct {
	kind    string
	make    func(t *testing.T, dir string) (path string, receive <-chan []byte)
	writes  bool
	refusal string
}

var outCases = []outCase{
	{kind: "fifo", make: outFIFO, writes: true},
	{kind: "socket", make: outSocket, writes: true},
	{kind: "char-device", make: outCharDevice, writes: true},
	{kind: "symlink-to-fifo", make: outLinkTo(outFIFO), writes: true},
	{kind: "symlink-to-char-device", make: outLinkTo(outCharDevice), writes: true},
	{kind: "directory", make: outDir, refusal: "is a directory"},
	{kind: "symlink-to-directory", make: outLinkTo(outDir), refusal: "is a directory"},
	{kind: "symlink-to-file", make: outLinkTo(outRegular), refusal: "is a symbolic link to a regular file"},
	{kind: "dangling-symlink", make: outDangling, refusal: "which does not exist"},
	{kind: "block-device", make: outBlockDevice, refusal: "is a block device"},
}

// outVerb is a verb that writes: its arguments for output path out, and a
// check of the bytes it wrote.
type outVerb struct {
	name  string
	args  func(out string) []string
	check func(t *testing.T, got []byte)
}

func TestOutputSafety(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the test makes device nodes with mknod: it needs root")
	}
	dir := outNodeDir(t)
	for _, v := range outVerbs(t) {
		for _, c := range outCases {
			for _, force := range []bool{false, true} {
				name := v.name + "/" + c.kind + map[bool]string{false: "", true: "/force"}[force]
				t.Run(name, func(t *testing.T) { outRunCase(t, dir, v, c, force) })
			}
		}
		t.Run(v.name+"/regular-file", func(t *testing.T) { outRegularFile(t, dir, v) })
	}
}

func outVerbs(t *testing.T) []outVerb {
	archive := ecArchive(t, "x86_64")
	_, region, _ := runCLI("extract", "--region", "0", "-o", "-", archive)
	_, core, _ := runCLI("export-core", "-o", "-", archive)
	same := func(want string) func(*testing.T, []byte) {
		return func(t *testing.T, got []byte) {
			if string(got) != want {
				t.Errorf("%d bytes arrived, want the %d bytes of -o -", len(got), len(want))
			}
		}
	}
	verbs := []outVerb{
		{"extract", func(out string) []string { return []string{"extract", "--region", "0", "-o", out, archive} }, same(region)},
		{"export-core", func(out string) []string { return []string{"export-core", "-o", out, archive} }, same(core)},
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return verbs
	}
	pid := strconv.Itoa(proctest.StartThreads(t, 2, 0).PID)
	return append(verbs, outVerb{"capture", func(out string) []string {
		return []string{"capture", "--no-progress", "-q", "--no-sidecar", "-o", out, pid} // the sidecar's rules: TestSidecar
	}, outVerifies})
}

// outVerifies checks that got is a complete archive that verifies.
func outVerifies(t *testing.T, got []byte) {
	r, err := format.NewReader(bytes.NewReader(got), int64(len(got)))
	if err != nil {
		t.Fatalf("the %d bytes that arrived are not an archive: %v", len(got), err)
	}
	if v := r.Verify(context.Background()); !v.OK {
		t.Errorf("the archive that arrived does not verify: %+v", v.Problems)
	}
}

// outRunCase runs one verb onto one kind of path and checks the path is
// the same node afterwards (kind, mode, inode; a link and its target too).
func outRunCase(t *testing.T, dir string, v outVerb, c outCase, force bool) {
	sub, err := os.MkdirTemp(dir, "case")
	if err != nil {
		t.Fatal(err)
	}
	path, receive := c.make(t, sub)
	before := outSnapshot(t, sub)
	args := v.args(path)
	if force {
		args = append([]string{args[0], "--force"}, args[1:]...)
	}
	code, _, stderr := runCLI(args...)
	if after := outSnapshot(t, sub); after != before {
		t.Errorf("%v changed the directory:\nbefore %s\nafter  %s", args, before, after)
	}
	if !c.writes {
		if code != exitFailure || !strings.Contains(stderr, c.refusal) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", args, code, stderr, c.refusal)
		}
		return
	}
	if code != exitOK {
		t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
	}
	if receive != nil {
		select {
		case got := <-receive:
			v.check(t, got)
		case <-time.After(30 * time.Second):
			t.Errorf("%v: nothing arrived at the %s in 30 s (replaced?): %s", args, c.kind, outSnapshot(t, sub))
		}
	}
}

// outRegularFile: an existing regular file is refused without --force and
// replaced with --force: a new file (another inode), mode 0600, whole.
func outRegularFile(t *testing.T, dir string, v outVerb) {
	sub, err := os.MkdirTemp(dir, "regular")
	if err != nil {
		t.Fatal(err)
	}
	path, _ := outRegular(t, sub)
	before := outSnapshot(t, sub)
	if code, _, stderr := runCLI(v.args(path)...); code != exitFailure || !strings.Contains(stderr, "already exists (use --force") {
		t.Errorf("without --force: exit %d, %q", code, stderr)
	}
	if after := outSnapshot(t, sub); after != before {
		t.Errorf("a refused run changed the directory:\nbefore %s\nafter  %s", before, after)
	}
	old, _ := os.Stat(path)
	args := v.args(path)
	if code, _, stderr := runCLI(append([]string{args[0], "--force"}, args[1:]...)...); code != exitOK {
		t.Fatalf("--force: exit %d, %q", code, stderr)
	}
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != 0o600 || os.SameFile(st, old) {
		t.Errorf("after --force: %v (%v), want a new regular file of mode 0600", st.Mode(), err)
	}
	if ents, _ := os.ReadDir(sub); len(ents) != 1 {
		t.Errorf("--force left %d entries beside the output", len(ents)-1)
	}
	got, _ := os.ReadFile(path)
	v.check(t, got)
}

// outSnapshot describes everything under dir: path, mode, inode, a link's
// target and a regular file's bytes.
func outSnapshot(t *testing.T, dir string) string {
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		b.WriteString(strings.TrimPrefix(p, dir) + " " + st.Mode().String() + " ino " + strconv.FormatUint(st.Sys().(*syscall.Stat_t).Ino, 10))
		if target, err := os.Readlink(p); err == nil {
			b.WriteString(" -> " + target)
		}
		if st.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.WriteString(" " + strconv.Quote(string(data)))
		}
		b.WriteString("; ")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// outNodeDir is a directory where device nodes work: the test's temporary
// directory, or a tmpfs mounted on it when that filesystem is nodev.
func outNodeDir(t *testing.T) string {
	dir := t.TempDir()
	probe, _ := outCharDevice(t, dir)
	f, err := os.OpenFile(probe, os.O_WRONLY, 0)
	if err == nil {
		f.Close()
		os.Remove(probe)
		return dir
	}
	os.Remove(probe)
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("open a null device made with mknod: %v", err)
	}
	return faultMountTmpfs(t, "16m") // a nodev filesystem: use a tmpfs
}

func outFIFO(t *testing.T, dir string) (string, <-chan []byte) {
	path := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(path, 0o640); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(path) // blocks until the verb opens the other end
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- b
	}()
	t.Cleanup(func() { // unblock a reader still waiting for a writer
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	return path, got
}

func outSocket(t *testing.T, dir string) (string, <-chan []byte) {
	path := filepath.Join(dir, "socket")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	t.Cleanup(func() { l.Close() })
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(c)
		c.Close()
		got <- b
	}()
	return path, got
}

// outCharDevice makes a device with /dev/null's numbers (1, 3).
func outCharDevice(t *testing.T, dir string) (string, <-chan []byte) {
	return outMknod(t, filepath.Join(dir, "null"), unix.S_IFCHR|0o666, 1, 3), nil
}

// outBlockDevice makes a block device node for loop device 255, which
// nothing should ever open here.
func outBlockDevice(t *testing.T, dir string) (string, <-chan []byte) {
	return outMknod(t, filepath.Join(dir, "block"), unix.S_IFBLK|0o600, 7, 255), nil
}

func outMknod(t *testing.T, path string, mode uint32, major, minor uint32) string {
	if err := unix.Mknod(path, mode, int(unix.Mkdev(major, minor))); err != nil {
		t.Fatalf("mknod %s: %v", path, err)
	}
	return path
}

func outDir(t *testing.T, dir string) (string, <-chan []byte) {
	path := filepath.Join(dir, "dir")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	return path, nil
}

func outRegular(t *testing.T, dir string) (string, <-chan []byte) {
	path := filepath.Join(dir, "file")
	if err := os.WriteFile(path, []byte("earlier evidence\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, nil
}

func outDangling(t *testing.T, dir string) (string, <-chan []byte) {
	path := filepath.Join(dir, "link")
	if err := os.Symlink("nothing-here", path); err != nil {
		t.Fatal(err)
	}
	return path, nil
}

// outLinkTo makes what mk makes, in a subdirectory, and a link to it.
func outLinkTo(mk func(*testing.T, string) (string, <-chan []byte)) func(*testing.T, string) (string, <-chan []byte) {
	return func(t *testing.T, dir string) (string, <-chan []byte) {
		sub := filepath.Join(dir, "target")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		target, receive := mk(t, sub)
		path := filepath.Join(dir, "link")
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
		return path, receive
	}
}
