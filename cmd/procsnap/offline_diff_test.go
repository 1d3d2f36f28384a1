package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format/formattest"
)

// changedSample is the sample archive a moment later: in the heap (16 KiB
// chunks = 4 pages) page 1 changed inside a chunk, pages 5-6 changed
// side by side, page 9 went from unreadable to data, page 12 from a zero
// fill to data, pages 19-20 changed across a chunk boundary (7 pages in
// 5 runs); region 3 lost its w bit, the stack grew by 2 pages, region 5
// was unmapped and a region was added.
func changedSample() offArchive {
	a := sampleArchive()
	a.meta.CaptureStart = a.meta.CaptureStart.Add(time.Minute)
	regs := append([]offRegion(nil), a.regions...)
	heap := append([]offPage(nil), regs[1].pages...)
	for _, i := range []int{1, 5, 6, 19, 20} {
		heap[i].seed += 1000
	}
	heap[9] = offPage{kind: pgData, seed: 500}
	heap[12] = offPage{kind: pgText, seed: 501}
	regs[1].pages = heap
	regs[3].perms = "r--s"
	regs[4].pages = offPages(pgText, 10, 90)
	regs[5] = offRegion{start: 0x7ffe00000000, perms: "r-xp", path: "[vdso]", pages: offPages(pgData, 2, 600)}
	a.regions = regs
	return a
}

var wantHeapChanges = []jsonRange{
	{Start: "0x601000", End: "0x602000"}, {Start: "0x605000", End: "0x607000"}, {Start: "0x609000", End: "0x60a000"},
	{Start: "0x60c000", End: "0x60d000"}, {Start: "0x613000", End: "0x615000"},
}

func writeTemp(t *testing.T, dir, name string, a offArchive) string {
	t.Helper()
	p := filepath.Join(dir, name)
	a.write(t, p)
	return p
}

func TestDiffGolden(t *testing.T) {
	dir := t.TempDir()
	old := writeTemp(t, dir, "old.psnap", sampleArchive())
	newer := writeTemp(t, dir, "new.psnap", changedSample())
	same := sampleArchive()
	same.chunk = 64 << 10 // other chunk boundaries, same contents
	same.meta.CaptureStart = same.meta.CaptureStart.Add(time.Hour)
	again := writeTemp(t, dir, "again.psnap", same)
	runGoldenCases(t, dir, []goldenCase{
		{"diff.txt", []string{"diff", old, newer}, exitFailure, false},
		{"diff.json", []string{"diff", "--json", old, newer}, exitFailure, false},
		{"diff-strict.txt", []string{"diff", "--strict", old, newer}, exitFailure, false},
		{"diff-same.txt", []string{"diff", old, again}, exitOK, false},
		{"diff-same-strict.txt", []string{"diff", "--strict", old, again}, exitOK, false},
		{"diff-same.json", []string{"diff", "--json", old, again}, exitOK, false},
	})
}

// TestDiffKnownPages checks the JSON of the changed pair field by field.
func TestDiffKnownPages(t *testing.T) {
	dir := t.TempDir()
	old := writeTemp(t, dir, "old.psnap", sampleArchive())
	newer := writeTemp(t, dir, "new.psnap", changedSample())
	code, stdout, stderr := runCLI("diff", "--json", old, newer)
	if code != exitFailure || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var rep diffReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Summary
	if s.Unchanged != 2 || s.Changed != 3 || s.Added != 1 || s.Removed != 1 || s.ChangedPages != 7+2 {
		t.Errorf("summary %+v", s)
	}
	want := map[string]struct {
		status  string
		reasons []string
		changed []jsonRange
	}{
		"0x400000":       {"unchanged", []string{}, []jsonRange{}},
		"0x600000":       {"changed", []string{"content", "page states"}, wantHeapChanges},
		"0x7f0000000000": {"unchanged", []string{}, []jsonRange{}},
		"0x7f0000010000": {"changed", []string{"perms"}, []jsonRange{}},
		"0x7ffd00000000": {"changed", []string{"size"}, []jsonRange{{Start: "0x7ffd00008000", End: "0x7ffd0000a000"}}},
		"0x7ffd10000000": {"removed", []string{}, []jsonRange{}},
		"0x7ffe00000000": {"added", []string{}, []jsonRange{}},
	}
	if len(rep.Regions) != len(want) {
		t.Fatalf("%d regions, want %d", len(rep.Regions), len(want))
	}
	for _, g := range rep.Regions {
		w, ok := want[g.Start]
		if !ok || g.Status != w.status || !reflect.DeepEqual(g.Reasons, w.reasons) || !reflect.DeepEqual(g.Changed, w.changed) {
			t.Errorf("region %s: %s %v %v, want %+v", g.Start, g.Status, g.Reasons, g.Changed, w)
		}
	}
}

// TestDiffStoppedPair: two captures of a process that did not run between
// them (written independently, other chunk size) show no differences.
func TestDiffStoppedPair(t *testing.T) {
	dir := t.TempDir()
	a := writeTemp(t, dir, "a.psnap", sampleArchive())
	s := sampleArchive()
	s.chunk = 4096
	b := writeTemp(t, dir, "b.psnap", s)
	for _, args := range [][]string{{"diff", a, b}, {"diff", "--strict", b, a}} {
		code, stdout, stderr := runCLI(args...)
		if code != exitOK || stdout != "no differences (6 regions unchanged)\n" || stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

// flipAt returns a copy of b with the byte at off flipped.
func flipAt(b []byte, off int64) []byte {
	out := bytes.Clone(b)
	out[off] ^= 0x01
	return out
}

// TestDiffDamage: damage in a chunk's stored bytes goes unseen by a diff
// that reads headers only, and is trouble (exit 2) for --strict, which
// decompresses; a damaged chunk header is trouble for both.
func TestDiffDamage(t *testing.T) {
	dir := t.TempDir()
	full := sampleArchive().write(t, "")
	good := filepath.Join(dir, "good.psnap")
	stored := filepath.Join(dir, "stored.psnap")
	header := filepath.Join(dir, "header.psnap")
	bad, span := corruptChunk(t, full, 1, 1)
	hashes := int64(formattest.RecordField(t, full, span.Offset(), "hashes").Offset) // in the chunk's header
	for name, b := range map[string][]byte{good: full, stored: bad, header: flipAt(full, hashes+3)} {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"diff", good, stored}, exitOK, ""},
		{[]string{"diff", "--strict", good, stored}, 2, "new snapshot: region 1 (0x600000-0x615000): corrupt archive"},
		{[]string{"diff", header, good}, 2, "old snapshot: region 1 (0x600000-0x615000): corrupt archive"},
		{[]string{"diff", good, filepath.Join(dir, "missing.psnap")}, 2, "NEW: open archive"},
		{[]string{"diff", good, filepath.Join(dir, "..")}, 2, "NEW: open archive"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", c.args[1:], code, c.code, stderr, c.msg)
		}
	}
}

// TestDiffNotes: different processes and incomplete archives are noted on
// stderr, not refused.
func TestDiffNotes(t *testing.T) {
	dir := t.TempDir()
	a := writeTemp(t, dir, "a.psnap", sampleArchive())
	other := sampleArchive()
	other.meta.PID = 5151
	b := writeTemp(t, dir, "b.psnap", other)
	cut := filepath.Join(dir, "cut.psnap")
	if err := os.WriteFile(cut, cutInRegion(t, sampleArchive().write(t, ""), 3), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI("diff", a, b)
	if code != exitOK || !strings.Contains(stderr, "different processes (pid 4242 and 5151)") {
		t.Errorf("different pids: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runCLI("diff", a, cut)
	if code != exitFailure || !strings.Contains(stderr, "cut.psnap is incomplete") || !strings.Contains(stdout, "removed  0x7ffd00000000") {
		t.Errorf("cut archive: exit %d:\n%s\n%s", code, stdout, stderr)
	}
}
