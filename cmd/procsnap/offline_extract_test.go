package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// extractTo runs extract with args and -o out and returns the file's bytes.
func extractTo(t *testing.T, out string, args ...string) ([]byte, string) {
	t.Helper()
	code, stdout, stderr := runCLI(append([]string{"extract", "-o", out}, args...)...)
	if code != exitOK {
		t.Fatalf("extract %v: exit %d: %s", args, code, stderr)
	}
	if stdout != "" {
		t.Errorf("extract to a file wrote to stdout: %q", stdout)
	}
	checkMode(t, out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b, stderr
}

func checkMode(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := st.Mode().Perm(); m != 0o600 {
		t.Errorf("%s has mode %o, want 600", path, m)
	}
}

func TestExtractEveryRegion(t *testing.T) {
	path, a, _ := writeSample(t)
	dir := t.TempDir()
	for i, g := range a.regions {
		out := filepath.Join(dir, fmt.Sprintf("r%d.bin", i))
		got, stderr := extractTo(t, out, "--region", fmt.Sprint(i), path)
		if !bytes.Equal(got, g.bytes()) {
			t.Errorf("region %d: extracted bytes differ from those written", i)
		}
		holes := strings.Contains(stderr, "written as zeros")
		wantHoles := g.skip != "" || g.stop > 0 || i == 1
		if holes != wantHoles {
			t.Errorf("region %d: holes listed %v, want %v:\n%s", i, holes, wantHoles, stderr)
		}
	}
	// The skipped region and the partial stack say why.
	_, stderr := extractTo(t, filepath.Join(dir, "skip.bin"), "--region", "2", path)
	if !strings.Contains(stderr, "0x7f0000000000-0x7f0000004000  not captured: region skipped (no read permission)") {
		t.Errorf("skipped region: %s", stderr)
	}
	_, stderr = extractTo(t, filepath.Join(dir, "stack.bin"), "--region", "4", path)
	if !strings.Contains(stderr, "0x7ffd00005000-0x7ffd00008000  not captured (the region shrank during the capture)") {
		t.Errorf("partial region: %s", stderr)
	}
}

func TestExtractSelectors(t *testing.T) {
	path, a, _ := writeSample(t)
	heap := a.regions[1].bytes()
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want []byte
	}{
		{"addr inside", []string{"--addr", "0x60a123"}, heap},
		{"addr bare hex at the last byte", []string{"--addr", "614fff"}, heap},
		{"path exact", []string{"--path", "[heap]"}, heap},
		{"path substring", []string{"--path", "shared"}, a.regions[3].bytes()},
		{"range inside the region", []string{"--region", "1", "--range", "0x602000-0x60a000"}, heap[0x2000:0xa000]},
		{"range unaligned", []string{"--addr", "0x600000", "--range", "0x600010-0x601003"}, heap[0x10:0x1003]},
		{"range alone", []string{"--range", "0x613000-0x615000"}, heap[0x13000:0x15000]},
		{"path and range", []string{"--path", "demo", "--range", "0x401000-0x402000"}, a.regions[0].bytes()[0x1000:]},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := extractTo(t, filepath.Join(dir, fmt.Sprintf("%d.bin", i)), append(c.args, path)...)
			if !bytes.Equal(got, c.want) {
				t.Errorf("got %d bytes, want %d (equal: %v)", len(got), len(c.want), bytes.Equal(got, c.want))
			}
		})
	}
}

func TestExtractSelectorErrors(t *testing.T) {
	path, _, _ := writeSample(t)
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--path", "/tmp/"}, "--path \"/tmp/\" matches 2 regions; choose one with --region N:\n" +
			"  3  7f0000010000-7f0000013000  rw-s  /tmp/shared file (deleted)\n" +
			"  5  7ffd10000000-7ffd10001000  r--p  /tmp/evil\\x1b[31mred\\u202e"},
		{[]string{"--region", "1", "--range", "0x614000-0x616000"}, "is not inside region 1 (0x600000-0x615000 [heap])"},
		{[]string{"--range", "0x401000-0x601000"}, "is not inside region 0"},
		{[]string{"--range", "0x500000-0x501000"}, "no region contains 0x500000, the start of --range"},
		{[]string{"--addr", "0x402000"}, "no region contains 0x402000"},
		{[]string{"--region", "1", "--path", "[heap]"}, "choose the region one way"},
		{[]string{"--range", "0x602000-0x601000"}, "the end must be above the start"},
	}
	for _, c := range cases {
		code, stdout, stderr := runCLI(append(append([]string{"extract", "-o", "-"}, c.args...), path)...)
		if code != exitUsage || !strings.Contains(stderr, c.msg) || stdout != "" {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr:\n%s\nwant it to contain:\n%s", c.args, code, len(stdout), stderr, c.msg)
		}
	}
}

func TestExtractStdout(t *testing.T) {
	path, a, _ := writeSample(t)
	code, stdout, stderr := runCLI("extract", "--region", "1", "-o", "-", path)
	if code != exitOK || stdout != string(a.regions[1].bytes()) {
		t.Fatalf("exit %d, %d bytes: %s", code, len(stdout), stderr)
	}
	if !strings.Contains(stderr, "to stdout") || !strings.Contains(stderr, "0x609000-0x60b000  unreadable (EIO)") {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestExtractOutputFile(t *testing.T) {
	path, a, arch := writeSample(t)
	heap := a.regions[1].bytes()
	// Default name: next to the archive, named from the addresses only.
	def := path + ".600000-615000.bin"
	got, _ := extractTo(t, def, "--path", "[heap]", path)
	if !bytes.Equal(got, heap) {
		t.Fatal("default output differs")
	}
	if code, _, stderr := runCLI("extract", "--region", "0", "-o", def, path); code != exitFailure ||
		!strings.Contains(stderr, "already exists (use --force to overwrite it)") {
		t.Errorf("overwrite without --force: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(def); !bytes.Equal(b, heap) {
		t.Error("a refused extract changed the existing file")
	}
	if err := os.Chmod(def, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := extractTo(t, def, "--force", "--region", "0", path); !bytes.Equal(got, a.regions[0].bytes()) {
		t.Error("--force output differs")
	}
	// Never onto the archive itself, even with --force.
	if code, _, stderr := runCLI("extract", "--force", "--region", "0", "-o", path, path); code != exitUsage ||
		!strings.Contains(stderr, "is the archive itself") {
		t.Errorf("extract onto the archive: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, arch) {
		t.Error("the archive was changed")
	}
}

// TestExtractDamaged: a flipped byte in one chunk of the heap. Other
// regions extract intact; the heap comes out with that chunk as zeros, the
// damage listed, and exit 1.
func TestExtractDamaged(t *testing.T) {
	a := sampleArchive()
	bad, span := corruptChunk(t, a.write(t, ""), 1, 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.psnap")
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runCLI("verify", path)
	if code != exitFailure || !strings.Contains(stdout, "region 1 (600000-615000 rw-p [heap])") {
		t.Errorf("verify: exit %d:\n%s", code, stdout)
	}
	for _, i := range []int{0, 3, 5} {
		got, _ := extractTo(t, filepath.Join(dir, fmt.Sprintf("r%d.bin", i)), "--region", fmt.Sprint(i), path)
		if !bytes.Equal(got, a.regions[i].bytes()) {
			t.Errorf("intact region %d differs", i)
		}
	}
	out := filepath.Join(dir, "heap.bin")
	code, _, stderr := runCLI("extract", "--region", "1", "-o", out, path)
	want := a.regions[1].bytes()
	clear(want[span.Start-0x600000 : span.End-0x600000])
	got, _ := os.ReadFile(out)
	if code != exitFailure || !bytes.Equal(got, want) || !strings.Contains(stderr, fmt.Sprintf("%#x-%#x  damaged in the archive", span.Start, span.End)) {
		t.Errorf("damaged region: exit %d, bytes as expected %v:\n%s", code, bytes.Equal(got, want), stderr)
	}
}

func TestExtractTruncated(t *testing.T) {
	a := sampleArchive()
	path := filepath.Join(t.TempDir(), "cut.psnap")
	if err := os.WriteFile(path, cutInRegion(t, a.write(t, ""), 3), 0o600); err != nil {
		t.Fatal(err)
	}
	got, _ := extractTo(t, filepath.Join(t.TempDir(), "heap.bin"), "--region", "1", path)
	if !bytes.Equal(got, a.regions[1].bytes()) {
		t.Error("a region footed before the cut differs")
	}
	code, stdout, stderr := runCLI("extract", "--region", "3", "-o", "-", path)
	if code != exitOK || stdout != string(make([]byte, 3*offPS)) ||
		!strings.Contains(stderr, "0x7f0000010000-0x7f0000013000  missing from the archive (cut off or damaged)") {
		t.Errorf("truncated region: exit %d:\n%s", code, stderr)
	}
}
