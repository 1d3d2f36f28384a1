package realprog

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/internal/proctest"
)

// yaraJSON is what checkYara reads of yara --json.
type yaraJSON struct {
	Matches []struct {
		Rule     string `json:"rule"`
		Region   int    `json:"region"`
		Perms    string `json:"perms"`
		Path     string `json:"path"`
		RunStart string `json:"run_start"`
		RunEnd   string `json:"run_end"`
		Strings  []struct {
			Identifier string `json:"identifier"`
			Address    string `json:"address"`
		} `json:"strings"`
	} `json:"matches"`
	Runs  int   `json:"runs"`
	Bytes int64 `json:"bytes"`
}

// maxYaraRuns bounds how many runs checkYara extracts and scans with yara
// directly (a JVM's heap run is hundreds of MiB).
const maxYaraRuns = 3

// checkYara runs YARA rules for the secret over the archive: a text string
// and a hex string with a wildcard and a jump. Both must find the secret
// at every address search finds it, one of them in a region of the kind
// the target keeps it in; and for a few of the runs hit, yara -s on the
// run extracted with procsnap extract finds the same addresses.
func checkYara(t *testing.T, tg target, archive string) {
	t.Helper()
	proctest.NeedProgram(t, "yara", "yara")
	rules := filepath.Join(t.TempDir(), "secret.yar")
	prefix, rest := tg.secret[:len(tg.secret)-8], tg.secret[len(tg.secret)-8:]
	text := fmt.Sprintf(`rule SecretText { strings: $a = %q condition: $a }
rule SecretHex { strings: $h = { %s ?? [0-2] %s } condition: #h >= 1 }
`, tg.secret, hexBytes(prefix), hexBytes(rest[1:]))
	if err := os.WriteFile(rules, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var doc yaraJSON
	if !procsnapJSON(t, &doc, []int{0}, "yara", rules, archive) {
		return
	}
	hits := map[string][]string{} // rule: addresses
	runs := map[[2]string]bool{}
	inKind := false
	for _, m := range doc.Matches {
		for _, s := range m.Strings {
			hits[m.Rule] = append(hits[m.Rule], s.Address)
		}
		runs[[2]string{m.RunStart, m.RunEnd}] = true
		inKind = inKind || tg.where.is(m.Perms, m.Path)
	}
	var found searchJSON
	if !decode(t, procsnap(t, "search", "--json", "--string", tg.secret, archive), &found) {
		return
	}
	var want []string
	for _, m := range found.Matches {
		want = append(want, m.Address)
	}
	slices.Sort(want)
	for _, rule := range []string{"SecretText", "SecretHex"} {
		got := slices.Sorted(slices.Values(hits[rule]))
		if !slices.Equal(got, want) {
			t.Errorf("%s: rule %s matched at %v; search finds the secret at %v", filepath.Base(archive), rule, got, want)
		}
	}
	if !inKind {
		t.Errorf("%s: no yara hit in %s", filepath.Base(archive), tg.where.name)
	}
	checked := 0
	for run := range runs {
		if checked == maxYaraRuns {
			break
		}
		checked++
		direct := yaraOnRun(t, rules, archive, hex(run[0]), hex(run[1]))
		var ours []string
		for _, m := range doc.Matches {
			if m.RunStart == run[0] {
				for _, s := range m.Strings {
					ours = append(ours, m.Rule+" "+s.Address)
				}
			}
		}
		slices.Sort(ours)
		if !slices.Equal(direct, ours) {
			t.Errorf("run %s-%s: yara -s on the extracted run finds %v; procsnap yara %v", run[0], run[1], direct, ours)
		}
	}
	t.Logf("%s: yara scanned %d runs, %d MiB; %d hits, %d runs checked against yara -s",
		filepath.Base(archive), doc.Runs, doc.Bytes>>20, len(doc.Matches), checked)
}

// yaraOnRun extracts the archive's bytes lo-hi and returns what yara -s
// finds in them: "RULE ADDRESS" for each string match.
func yaraOnRun(t *testing.T, rules, archive string, lo, hi uint64) []string {
	t.Helper()
	out := filepath.Join(t.TempDir(), fmt.Sprintf("%x-%x.bin", lo, hi))
	if r := procsnap(t, "extract", "--range", fmt.Sprintf("%#x-%#x", lo, hi), "-o", out, archive); r.code != 0 {
		t.Fatalf("extract %#x-%#x: %s", lo, hi, r)
	}
	defer os.Remove(out)
	r := runCmd(t, "yara", "-s", rules, out)
	if r.code != 0 {
		t.Fatalf("yara -s on the extracted run: %s", r)
	}
	var got []string
	rule := ""
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if m := yaraStringLine.FindStringSubmatch(line); m != nil {
			off, _ := strconv.ParseUint(m[1], 16, 64)
			got = append(got, fmt.Sprintf("%s %#x", rule, lo+off))
			continue
		}
		rule = strings.TrimSuffix(line, " "+out)
	}
	slices.Sort(got)
	return got
}

var yaraStringLine = regexp.MustCompile(`^0x([0-9a-f]+):\$\w*: `)

// hexBytes writes s as a YARA hex string's bytes.
func hexBytes(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		fmt.Fprintf(&b, "%02x ", c)
	}
	return strings.TrimSpace(b.String())
}
