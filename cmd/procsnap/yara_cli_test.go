package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format/formattest"
)

// yaraDoc is the --json document of the yara verb.
type yaraDoc struct {
	Matches []struct {
		Archive, Comm, Rule, Namespace, Path, Perms string
		PID                                         int
		Tags                                        []string
		Meta                                        []struct {
			Key   string
			Value any
		}
		Region   int
		RunStart string `json:"run_start"`
		RunEnd   string `json:"run_end"`
		Strings  []struct {
			Identifier, Address, Offset string
			Length                      int
			DataHex                     string `json:"data_hex"`
			DataText                    string `json:"data_text"`
			Truncated                   bool
		}
	}
	Count, Runs int
	Bytes       uint64
	Archives    []struct {
		Archive, Comm, Error string
		PID, Runs            int
		Bytes                uint64
	}
	Problems []struct {
		Archive, Start, End, Error string
		Region                     *int
	}
}

func parseYaraDoc(t *testing.T, out string) yaraDoc {
	t.Helper()
	var doc yaraDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return doc
}

// lines turns the document's hits into yaraOnFile's lines.
func (d yaraDoc) lines() []string {
	var out []string
	for _, m := range d.Matches {
		name := m.Namespace + ":" + m.Rule
		if len(m.Strings) == 0 {
			out = append(out, name+" - "+m.RunStart+" 0")
		}
		for _, s := range m.Strings {
			out = append(out, fmt.Sprintf("%s %s %s %d", name, s.Identifier, s.Address, s.Length))
		}
	}
	return out
}

func yaraFixtureArchive(t *testing.T) (string, []*yaraRegion) {
	t.Helper()
	regions := yaraFixture()
	path := filepath.Join(t.TempDir(), "web.psnap")
	writeYaraArchive(t, path, 4242, "web", regions)
	return path, regions
}

// Every hit of procsnap yara is a match of yara -s run directly on the run
// extracted with procsnap extract --range, at the same offset from the
// run's start mapped to the same address, and the other way round; the
// matched bytes are the archive's. The planted markers are found at their
// addresses, and the Gap pair across a zero page is not (yara on the whole
// region extracted, zeros included, does match it).
func TestYaraMatchesYaraOnExtract(t *testing.T) {
	needYaraProgram(t)
	archive, regions := yaraFixtureArchive(t)
	code, stdout, stderr := runCLI("yara", "--json", yaraRules, archive)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := parseYaraDoc(t, stdout)
	var direct []string
	var scanned uint64
	for _, g := range regions {
		for _, run := range g.runs() {
			direct = append(direct, yaraOnFile(t, yaraRules, extractRange(t, archive, run[0], run[1]), run[0])...)
			scanned += run[1] - run[0]
		}
	}
	if got, want := sorted(doc.lines()), sorted(direct); !slices.Equal(got, want) {
		t.Errorf("procsnap yara found\n%s\nyara -s on the extracted runs\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if want := sorted(yaraFixtureHits()); !slices.Equal(sorted(direct), want) {
		t.Errorf("yara on the runs found\n%s\nwant the planted markers\n%s", strings.Join(sorted(direct), "\n"), strings.Join(want, "\n"))
	}
	if doc.Runs != 6 || doc.Bytes != scanned || doc.Count != 8 || len(doc.Problems) != 0 {
		t.Errorf("runs %d, bytes %d, count %d, problems %v; want 6 runs, %d bytes, 8 hits", doc.Runs, doc.Bytes, doc.Count, doc.Problems, scanned)
	}
	checkYaraData(t, doc, regions)
	whole := extractRange(t, archive, regions[0].Desc.Start, regions[0].Desc.End)
	if !slices.ContainsFunc(yaraOnFile(t, yaraRules, whole, yaraHeap), func(l string) bool { return strings.HasPrefix(l, "default:Gap ") }) {
		t.Error("yara on the whole heap (gaps as zeros) does not match the Gap pair: the fixture tests nothing")
	}
}

// yaraFixtureHits are the markers of yaraFixture as yaraOnFile lists them.
func yaraFixtureHits() []string {
	h := func(rule, id string, addr uint64, n int) string {
		return fmt.Sprintf("default:%s %s %#x %d", rule, id, addr, n)
	}
	return []string{
		h("TextPlain", "$a", yaraHeap+0x123, 18),
		h("Regex", "$r", yaraHeap+yaraPage-5, 18),
		h("AtStart", "$s", yaraHeap+8*yaraPage, 9),
		fmt.Sprintf("default:ElfMagic - %#x 0", yaraHeap+12*yaraPage),
		h("CountMore", "$c", yaraHeap+15*yaraPage, 12),
		h("CountMore", "$c", yaraHeap+15*yaraPage+0x40, 12),
		h("CountMore", "$c", yaraHeap+15*yaraPage+0x80, 12),
		h("AnyOf", "$x1", yaraHeap+18*yaraPage-12, 12),
		h("HexWild", "$h", yaraLib+0x200, 11),
		h("TextNocase", "$a", yaraLib+0x1800, 20),
	}
}

// checkYaraData checks each string's bytes, offset and region against the
// fixture.
func checkYaraData(t *testing.T, doc yaraDoc, regions []*yaraRegion) {
	t.Helper()
	for _, m := range doc.Matches {
		g := regions[m.Region]
		if m.Archive == "" || m.PID != 4242 || m.Comm != "web" || m.Path != g.Desc.Path || m.Perms != g.Desc.Perms {
			t.Errorf("hit %s: archive %q pid %d comm %q path %q perms %q", m.Rule, m.Archive, m.PID, m.Comm, m.Path, m.Perms)
		}
		for _, s := range m.Strings {
			addr, _ := strconv.ParseUint(strings.TrimPrefix(s.Address, "0x"), 16, 64)
			off := addr - g.Desc.Start
			want := g.Data[off : off+uint64(min(s.Length, 64))]
			if s.DataHex != hex.EncodeToString(want) || s.Offset != hexAddr(off) || s.Truncated != (s.Length > 64) {
				t.Errorf("%s %s at %s: data %s offset %s truncated %v, want %x %s", m.Rule, s.Identifier, s.Address, s.DataHex, s.Offset, s.Truncated, want, hexAddr(off))
			}
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// The human and JSON outputs and the help, against golden files.
func TestYaraGolden(t *testing.T) {
	needYaraProgram(t)
	archive, _ := yaraFixtureArchive(t)
	dir := filepath.Dir(archive)
	runGoldenCases(t, dir, []goldenCase{
		{"yara.txt", []string{"yara", yaraRules, archive}, exitOK, false},
		{"yara.json", []string{"yara", "--json", yaraRules, archive}, exitOK, false},
		{"yara.stderr", []string{"yara", "--path", "libfoo", yaraRules, archive}, exitOK, true},
	})
	code, stdout, _ := runCLI("yara", "--help")
	if h := stdout[:len(stdout)/2]; code == 0 && len(stdout)%2 == 0 && stdout == h+h {
		stdout = h // flags.go prints help twice; see TestOfflineHelp
	}
	checkGolden(t, "help-yara.txt", "", stdout)
}

// Exit codes follow search's: 0 found, 1 not found, 2 trouble.
func TestYaraExitCodes(t *testing.T) {
	needYaraProgram(t)
	archive, _ := yaraFixtureArchive(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		srchMust(t, os.WriteFile(p, []byte(text), 0o600))
		return p
	}
	none := write("none.yar", "rule Absent { strings: $a = \"not in this archive at all\" condition: $a }\n")
	bad := write("bad.yar", "rule Bad {\n  strings: $a = \"PSYARA\"\n  condition: $a or\n}\n")
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{yaraRules, archive}, 0, "in 6 run(s) of data of 1 archive(s): 8 hit(s)"},
		{[]string{none, archive}, 1, ": 0 hit(s)"},
		{[]string{bad, archive}, 2, `the rules do not compile; yarac says:` + "\n" + `error: rule "Bad" in ` + bad + `(4): syntax error`},
		{[]string{yaraRules, filepath.Join(dir, "missing.psnap")}, 2, "missing.psnap: open archive"},
		{[]string{yaraRules, archive, filepath.Join(dir, "missing.psnap")}, 2, "1 archive(s) could not be opened"},
		{[]string{"--region", "1", yaraRules, archive, archive}, 2, "--region takes one ARCHIVE"},
		{[]string{"--region", "9", yaraRules, archive}, 2, "no region 9"},
		{[]string{"--path", "nothing-like-it", yaraRules, archive}, 2, `no region's path contains "nothing-like-it"`},
		{[]string{"--region", "1", "--path", "x", yaraRules, archive}, 2, "not both"},
		{[]string{yaraRules}, 2, "want RULES and at least one ARCHIVE"},
		{[]string{filepath.Join(dir, "no-rules"), archive}, 2, "rules: "},
	} {
		code, _, stderr := runCLI(append([]string{"yara"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%v: exit %d (want %d), stderr %q, want it to hold %q", c.args, code, c.code, stderr, c.stderr)
		}
	}
}

// Without yara in PATH: exit 2, and the message names the package.
func TestYaraMissing(t *testing.T) {
	archive, _ := yaraFixtureArchive(t)
	t.Setenv("PATH", t.TempDir())
	code, _, stderr := runCLI("yara", yaraRules, archive)
	if code != 2 || !strings.Contains(stderr, "yara is not installed") || !strings.Contains(stderr, "apt-get install yara") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// Several archives: each hit names its archive and process, in the order
// given; --path selects in each.
func TestYaraSeveralArchives(t *testing.T) {
	needYaraProgram(t)
	a1, _ := yaraFixtureArchive(t)
	a2 := filepath.Join(t.TempDir(), "db.psnap")
	writeYaraArchive(t, a2, 77, "db", yaraFixture())
	code, stdout, stderr := runCLI("yara", "--json", "--path", "libfoo", yaraRules, a2, a1)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := parseYaraDoc(t, stdout)
	var got []string
	for _, m := range doc.Matches {
		got = append(got, fmt.Sprintf("%s %d %s %s", filepath.Base(m.Archive), m.PID, m.Comm, m.Rule))
	}
	want := []string{"db.psnap 77 db TextNocase", "db.psnap 77 db HexWild", "web.psnap 4242 web TextNocase", "web.psnap 4242 web HexWild"}
	if !slices.Equal(got, want) || len(doc.Archives) != 2 || doc.Archives[0].Runs != 1 || doc.Archives[1].PID != 4242 {
		t.Errorf("hits %q, archives %+v", got, doc.Archives)
	}
}

// A damaged chunk is not scanned and named; the rest is, and the exit is
// 2 as search's.
func TestYaraDamagedChunk(t *testing.T) {
	needYaraProgram(t)
	archive, _ := yaraFixtureArchive(t)
	b, err := os.ReadFile(archive)
	srchMust(t, err)
	found := false
	for _, s := range formattest.Open(t, b).Region(0).Spans() {
		if s.IsChunk() && s.Start == yaraHeap+8*yaraPage {
			b[s.Offset()+int64(100)] ^= 0xff // past the header, in the stored bytes
			found = true
		}
	}
	if !found {
		t.Fatal("no chunk at page 8")
	}
	srchMust(t, os.WriteFile(archive, b, 0o600))
	code, stdout, stderr := runCLI("yara", "--json", yaraRules, archive)
	doc := parseYaraDoc(t, stdout)
	want := slices.DeleteFunc(yaraFixtureHits(), func(l string) bool { return strings.Contains(l, "AtStart") })
	if code != 2 || !slices.Equal(sorted(doc.lines()), sorted(want)) {
		t.Errorf("exit %d, found\n%s\nwant\n%s\n%s", code, strings.Join(sorted(doc.lines()), "\n"), strings.Join(sorted(want), "\n"), stderr)
	}
	if len(doc.Problems) != 1 || doc.Problems[0].Region == nil || *doc.Problems[0].Region != 0 || doc.Problems[0].Start != hexAddr(yaraHeap+8*yaraPage) ||
		!strings.Contains(stderr, "could not be scanned") {
		t.Errorf("problems %+v, stderr %s", doc.Problems, stderr)
	}
}
