package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cpioEntry is one parsed newc entry.
type cpioEntry struct {
	name         string
	mode         uint32
	major, minor uint32
	data         string
}

// readNewc parses a newc archive up to its trailer, checking the magic,
// the 4-byte alignment and the name sizes.
func readNewc(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	for off := 0; ; {
		if off%4 != 0 || len(b) < off+110 || string(b[off:off+6]) != "070701" {
			t.Fatalf("no newc header at %d", off)
		}
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
			if err != nil {
				t.Fatalf("header at %d, field %d: %v", off, i, err)
			}
			return uint32(v)
		}
		mode, size, major, minor, namesize := field(1), int(field(6)), field(9), field(10), int(field(11))
		name := b[off+110 : off+110+namesize]
		if name[namesize-1] != 0 {
			t.Fatalf("name at %d is not NUL-terminated", off)
		}
		off = (off + 110 + namesize + 3) &^ 3
		e := cpioEntry{name: string(name[:namesize-1]), mode: mode, major: major, minor: minor, data: string(b[off : off+size])}
		off = (off + size + 3) &^ 3
		if e.name == "TRAILER!!!" {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out = append(out, e)
	}
}

// TestCPIO writes every entry type, reads the archive back, and has the
// cpio tool list it where it is installed.
func TestCPIO(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "sub", "f"), []byte("abc"), 0o640)
	os.Symlink("../elsewhere", filepath.Join(src, "link"))
	var buf bytes.Buffer
	c := newCPIO(&buf)
	c.Dir("/dev", 0o755)
	c.CharDev("/dev/console", 0o600, 5, 1)
	c.File("/a/b/init", 0o755, []byte("12345")) // adds /a and /a/b
	c.HostTree("/tree", src)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range readNewc(t, buf.Bytes()) {
		got = append(got, e.name+" "+strconv.FormatUint(uint64(e.mode), 8)+" "+e.data)
		if e.name == "dev/console" && (e.major != 5 || e.minor != 1) {
			t.Errorf("dev/console is %d:%d", e.major, e.minor)
		}
	}
	want := []string{
		"dev 40755 ", "dev/console 20600 ", "a 40755 ", "a/b 40755 ", "a/b/init 100755 12345",
		"tree 40755 ", "tree/link 120777 ../elsewhere", "tree/sub 40755 ", "tree/sub/f 100640 abc",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	tool, err := exec.LookPath("cpio")
	if err != nil {
		t.Logf("no cpio tool to cross-check with: %v", err)
		return
	}
	cmd := exec.Command(tool, "-it", "--quiet")
	cmd.Stdin = bytes.NewReader(buf.Bytes())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -it: %v\n%s", err, out)
	}
	names := strings.Fields(string(out))
	if len(names) != len(want) || names[4] != "a/b/init" {
		t.Errorf("cpio -it lists %q", names)
	}
}
