package procfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseMapsLine(t *testing.T) {
	for _, tc := range mapsCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMapsLine(tc.line)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.Line = tc.line
			if got != want {
				t.Errorf("parseMapsLine(%q)\n got %+v\nwant %+v", tc.line, got, want)
			}
			if k := got.Kind(); k != tc.kind {
				t.Errorf("Kind() = %v, want %v", k, tc.kind)
			}
			if s := got.String(); s != tc.line {
				t.Errorf("String() = %q, want the line %q", s, tc.line)
			}
		})
	}
}

func TestParseMapsLineErrors(t *testing.T) {
	const good = "7f3c1a3c4000-7f3c1a3d1000 rw-p 00000000 00:00 0 "
	pad := func(s string, n int) string { return s + strings.Repeat(" ", n) }
	for _, tc := range []struct {
		name, line, reason string
	}{
		{"empty", "", "fewer than five fields"},
		{"garbage", "hello world", "fewer than five fields"},
		{"no space after inode", strings.TrimSuffix(good, " "), "fewer than five fields"},
		{"two spaces between fields", strings.Replace(good, " ", "  ", 1), "permissions"},
		{"no dash", strings.Replace(good, "-", " ", 1), "address range"},
		{"uppercase hex", strings.ToUpper(good[:25]) + good[25:], "address range"},
		{"short address", "7f3c1a-7f3c1a3d1000 rw-p 00000000 00:00 0 ", "address range"},
		{"leading zero beyond width", "07f3c1a3c4000-7f3c1a3d1000 rw-p 00000000 00:00 0 ", "address range"},
		{"17 hex digits", "7f3c1a3c4000-10000000000000000 rw-p 00000000 00:00 0 ", "address range"},
		{"empty range", "7f3c1a3c4000-7f3c1a3c4000 rw-p 00000000 00:00 0 ", "start below end"},
		{"reversed range", "7f3c1a3d1000-7f3c1a3c4000 rw-p 00000000 00:00 0 ", "start below end"},
		{"three perms", strings.Replace(good, "rw-p", "rw-", 1), "permissions"},
		{"bad perm letter", strings.Replace(good, "rw-p", "rwxx", 1), "permissions"},
		{"perms out of order", strings.Replace(good, "rw-p", "wr-p", 1), "permissions"},
		{"short offset", strings.Replace(good, "00000000", "0000", 1), "offset"},
		{"signed offset", strings.Replace(good, "00000000", "-0000001", 1), "offset"},
		{"device without colon", strings.Replace(good, "00:00", "0000", 1), "device"},
		{"short minor", strings.Replace(good, "00:00", "00:0", 1), "device"},
		{"major beyond 32 bits", strings.Replace(good, "00:00", "100000000:00", 1), "device"},
		{"negative inode", strings.Replace(good, " 0 ", " -1 ", 1), "inode"},
		{"leading zero inode", strings.Replace(good, " 0 ", " 01 ", 1), "inode"},
		{"inode beyond 64 bits", strings.Replace(good, " 0 ", " 18446744073709551616 ", 1), "inode"},
		{"path too early", good + "/tmp/x", "path starts before column 73"},
		{"path one space early", pad(good, 72-len(good)) + "/tmp/x", "path starts before column 73"},
		{"padding without path", pad(good, 73-len(good)), "no path"},
		{"short padding", pad(good, 10), "padding ends before column 73"},
		{"newline", good + "\n", "newline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := parseMapsLine(tc.line)
			var perr *ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("parseMapsLine(%q) = %+v, %v; want a *ParseError", tc.line, m, err)
			}
			if perr.Text != tc.line || !strings.Contains(perr.Reason, tc.reason) {
				t.Errorf("got %+v, want Text %q and a Reason with %q", perr, tc.line, tc.reason)
			}
		})
	}
}

func TestParseMaps(t *testing.T) {
	var good []string
	for _, tc := range mapsCases {
		good = append(good, tc.line)
	}
	raw := []byte(strings.Join(good, "\n") + "\n")
	maps, err := ParseMaps(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(maps) != len(good) {
		t.Fatalf("got %d mappings, want %d", len(maps), len(good))
	}
	for i, m := range maps {
		if m.Line != good[i] {
			t.Errorf("mapping %d: Line %q, want %q", i, m.Line, good[i])
		}
	}

	for _, tc := range []struct {
		name string
		raw  string
		line int
	}{
		{"bad third line", good[0] + "\n" + good[1] + "\nbad\n" + good[2] + "\n", 3},
		{"empty line", good[0] + "\n\n", 2},
		{"no final newline", good[0] + "\n" + good[1], 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			maps, err := ParseMaps([]byte(tc.raw))
			var perr *ParseError
			if !errors.As(err, &perr) || perr.Line != tc.line || maps != nil {
				t.Errorf("got %d mappings, %v; want a *ParseError at line %d", len(maps), err, tc.line)
			}
		})
	}
	if maps, err := ParseMaps(nil); maps != nil || err != nil {
		t.Errorf("ParseMaps(nil) = %v, %v; want nothing", maps, err)
	}
}

func TestMapsFileErrors(t *testing.T) {
	dir := t.TempDir()
	fs := NewFS(dir)
	if err := os.MkdirAll(filepath.Join(dir, "42"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "42", "maps")
	bad := mapsCases[0].line + "\nnot a maps line\n"
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, _, err := fs.Maps(42)
	var perr *ParseError
	if !errors.As(err, &perr) || perr.File != path || perr.Line != 2 || perr.Text != "not a maps line" {
		t.Errorf("Maps of a bad file: %v; want a *ParseError at %s:2", err, path)
	}
	if string(raw) != bad {
		t.Errorf("Maps of a bad file kept %q, want the raw bytes %q", raw, bad)
	}
	if want := path + ":2: "; !strings.Contains(fmt.Sprint(err), want) {
		t.Errorf("error %q does not name %q", err, want)
	}

	_, _, err = fs.Maps(43)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), filepath.Join(dir, "43", "maps")) {
		t.Errorf("Maps of a missing pid: %v; want ErrNotExist naming the path", err)
	}
}

func TestMapsFixtures(t *testing.T) {
	for name, pid := range fixturePids(t) {
		t.Run(name, func(t *testing.T) {
			raw, maps, err := fixtures.Maps(pid)
			if err != nil {
				t.Fatal(err)
			}
			checkMapsAgree(t, raw, maps)
		})
	}
}

// checkMapsAgree checks that maps holds one Mapping per line of raw, each with the line
// verbatim and formatting back to it.
func checkMapsAgree(t *testing.T, raw []byte, maps []Mapping) {
	t.Helper()
	lines := rawLines(raw)
	if len(maps) != len(lines) || len(maps) == 0 {
		t.Fatalf("%d mappings for %d lines", len(maps), len(lines))
	}
	for i, m := range maps {
		if m.Line != lines[i] || m.String() != lines[i] {
			t.Errorf("line %d: %q\n Line     %q\n String() %q", i+1, lines[i], m.Line, m.String())
		}
	}
}

// TestMapsFixtureSpecials checks the special areas of the C fixture, mapped by a real kernel.
func TestMapsFixtureSpecials(t *testing.T) {
	_, maps, err := fixtures.Maps(fixturePids(t)[fixtureC])
	if err != nil {
		t.Fatal(err)
	}
	byPath := make(map[string]Mapping)
	for _, m := range maps {
		byPath[m.Path] = m
	}
	for _, tc := range []struct {
		path    string
		deleted bool
		kind    Kind
		perms   string
	}{
		{"/tmp/procsnap-fixture/thread target (deleted)", true, KindFile, "rw-p"},
		{"/tmp/procsnap-fixture/two  spaces  and trailing  ", false, KindFile, "rw-s"},
		{"/tmp/procsnap-fixture/unlinked file (deleted)", true, KindFile, "rw-s"},
		{"/memfd:procsnap fixture (deleted)", true, KindFile, "r--s"},
		{"/SYSV00000000 (deleted)", true, KindFile, "rw-s"},
		{"/dev/zero (deleted)", true, KindFile, "rw-s"},
		{"[heap]", false, KindHeap, "rw-p"},
		{"[stack]", false, KindStack, "rw-p"},
		{"[vdso]", false, KindVdso, "r-xp"},
		{"[vvar]", false, KindVvar, "r--p"},
		{"[vvar_vclock]", false, KindVvar, "r--p"},
		{"[vsyscall]", false, KindVsyscall, "--xp"},
		{"", false, KindAnon, "rw-p"},
	} {
		m, ok := byPath[tc.path]
		if !ok {
			t.Errorf("no mapping with path %q", tc.path)
			continue
		}
		if m.Deleted != tc.deleted || m.Kind() != tc.kind || m.Perms != tc.perms {
			t.Errorf("%q: Deleted %v, Kind %v, Perms %s; want %v, %v, %s",
				tc.path, m.Deleted, m.Kind(), m.Perms, tc.deleted, tc.kind, tc.perms)
		}
	}
	if vs := byPath["[vsyscall]"]; vs.Start != 0xffffffffff600000 || vs.Size() != 4096 || vs.Readable() {
		t.Errorf("[vsyscall]: %+v", vs)
	}
}

func TestMappingHelpers(t *testing.T) {
	m, err := parseMapsLine("7f3c1a200000-7f3c1a203000 r-xs 00000000 00:01 2050 ")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Readable() || m.Writable() || !m.Executable() || !m.Shared() || m.Size() != 0x3000 {
		t.Errorf("helpers of %q: r %v w %v x %v s %v size %#x",
			m.Line, m.Readable(), m.Writable(), m.Executable(), m.Shared(), m.Size())
	}
	var zero Mapping
	if zero.Readable() || zero.Writable() || zero.Executable() || zero.Shared() || zero.Kind() != KindAnon {
		t.Errorf("zero Mapping reports permissions or a kind")
	}
	if got := Kind(200).String(); got != "Kind(200)" {
		t.Errorf("Kind(200).String() = %q", got)
	}
}

func FuzzParseMapsLine(f *testing.F) {
	for _, tc := range mapsCases {
		f.Add(tc.line)
	}
	for _, pid := range fixturePids(f) {
		raw, _, err := fixtures.Maps(pid)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range rawLines(raw) {
			f.Add(line)
		}
	}
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, line string) {
		m, err := parseMapsLine(line)
		if err != nil {
			var perr *ParseError
			if !errors.As(err, &perr) || perr.Text != line || perr.Reason == "" {
				t.Fatalf("parseMapsLine(%q): %v is not a *ParseError with the line", line, err)
			}
			return
		}
		if m.Line != line || m.String() != line {
			t.Fatalf("parseMapsLine(%q) accepted it, but String() = %q", line, m.String())
		}
		if m.Start >= m.End || len(m.Perms) != 4 {
			t.Fatalf("parseMapsLine(%q) = %+v", line, m)
		}
	})
}

// BenchmarkParseMaps65530 parses a maps file of vm.max_map_count (65,530) lines, mixing
// library, anonymous and special mappings as a large process has them.
func BenchmarkParseMaps65530(b *testing.B) {
	raw := generateMaps(65530)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		maps, err := ParseMaps(raw)
		if err != nil || len(maps) != 65530 {
			b.Fatalf("%d mappings, %v", len(maps), err)
		}
	}
}

func generateMaps(n int) []byte {
	paths := []string{
		"/usr/lib/x86_64-linux-gnu/libc.so.6", "", "/usr/lib/jvm/java-21/lib/server/libjvm.so",
		"", "[anon:dalvik-main space]", "/memfd:jit-cache (deleted)", "",
		"/home/user/My Documents/cache  file.db",
	}
	var b strings.Builder
	addr := uint64(0x7f0000000000)
	for i := range n {
		path := paths[i%len(paths)]
		var inode uint64
		if strings.HasPrefix(path, "/") {
			inode = uint64(100000 + i)
		}
		m := Mapping{Start: addr, End: addr + 0x3000, Perms: "r-xp", Offset: uint64(i) << 12,
			DevMajor: 0xfe, Inode: inode, Path: path}
		b.WriteString(m.String())
		b.WriteByte('\n')
		addr += 0x4000
	}
	return []byte(b.String())
}

// A listing read while the process changed its mappings: one mapping
// shown twice, before and after mremap grew it (seen on Linux 6.18).
const tornMaps = `55acd1947000-55acd1948000 r--p 00000000 fe:00 9977938                    /tmp/churn
7f80023d1000-7f80023e5000 rw-p 00000000 00:00 0 
7f80023eb000-7f80023f5000 rw-p 00000000 00:00 0 
7f80023eb000-7f80023ff000 rw-p 00000000 00:00 0 
7f80023ff000-7f8002400000 ---p 00000000 00:00 0 
`

func TestMapsTorn(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "42"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "42", "maps"), []byte(tornMaps), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := NewFS(dir)
	raw, maps, err := fs.Maps(42)
	if !errors.Is(err, ErrMapsChanging) || !strings.Contains(err.Error(), "line 4") || string(raw) != tornMaps || len(maps) != 5 {
		t.Errorf("Maps of a listing torn every time: %d mappings, %v; want ErrMapsChanging naming line 4, and the raw bytes", len(maps), err)
	}
	maps, err = fs.MapsRunning(42)
	if err != nil || len(maps) != 4 || Torn(maps) >= 0 {
		t.Fatalf("MapsRunning: %d mappings, %v; want 4 in order (one line dropped)", len(maps), err)
	}
	if m := maps[2]; m.Start != 0x7f80023eb000 || m.End != 0x7f80023ff000 {
		t.Errorf("MapsRunning kept %s, want the later line (the mapping as mremap grew it)", m.Line)
	}
}

func TestMend(t *testing.T) {
	m := func(a, e uint64) Mapping { return Mapping{Start: a, End: e} }
	for _, tc := range []struct {
		name    string
		in      []Mapping
		want    []Mapping
		dropped int
	}{
		{"ordered", []Mapping{m(1, 2), m(2, 3), m(5, 6)}, []Mapping{m(1, 2), m(2, 3), m(5, 6)}, 0},
		{"grown", []Mapping{m(1, 2), m(3, 4), m(3, 6), m(6, 7)}, []Mapping{m(1, 2), m(3, 6), m(6, 7)}, 1},
		{"merged over two", []Mapping{m(1, 2), m(3, 4), m(4, 5), m(3, 5), m(8, 9)}, []Mapping{m(1, 2), m(3, 5), m(8, 9)}, 2},
		{"backwards", []Mapping{m(5, 6), m(1, 2)}, []Mapping{m(1, 2)}, 1},
		{"empty", nil, nil, 0},
	} {
		got, dropped := Mend(slices.Clone(tc.in))
		if !slices.Equal(got, tc.want) || dropped != tc.dropped || Torn(got) >= 0 {
			t.Errorf("%s: Mend = %v, %d dropped; want %v, %d", tc.name, got, dropped, tc.want, tc.dropped)
		}
	}
}
