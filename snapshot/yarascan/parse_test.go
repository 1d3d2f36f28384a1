package yarascan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
)

func TestParseRuleLine(t *testing.T) {
	for _, c := range []struct {
		line string
		want Rule
		path string
	}{
		{`default:Marker [] [] /proc/self/fd/5`, Rule{Namespace: "default", Name: "Marker"}, "/proc/self/fd/5"},
		{`default:Marker [tagA,tagB] [author="a \"q\" \\ b, x]=y",score =80,neg =-3,flag=true,off=false] /proc/self/fd/12`,
			Rule{Namespace: "default", Name: "Marker", Tags: []string{"tagA", "tagB"}, Meta: []Meta{
				{"author", `a "q" \ b, x]=y`}, {"score", int64(80)}, {"neg", int64(-3)}, {"flag", true}, {"off", false}}},
			"/proc/self/fd/12"},
		{`my ns:with:colons:R1 [t] [k="\303\251\t\n\'\001"] /proc/self/fd/7`,
			Rule{Namespace: "my ns:with:colons", Name: "R1", Tags: []string{"t"}, Meta: []Meta{{"k", "é\t\n'\x01"}}}, "/proc/self/fd/7"},
		{`default:R [] [k="x:R2 [] [",k="y"] /proc/self/fd/8`,
			Rule{Namespace: "default", Name: "R", Meta: []Meta{{"k", "x:R2 [] ["}, {"k", "y"}}}, "/proc/self/fd/8"},
	} {
		r, path, err := parseRuleLine(c.line)
		if err != nil || !reflect.DeepEqual(*r, c.want) || path != c.path {
			t.Errorf("%s:\ngot %+v %q %v\nwant %+v %q", c.line, r, path, err, c.want, c.path)
		}
	}
	for _, bad := range []string{
		``, `Marker /proc/self/fd/5`, `default:Marker [] /proc/self/fd/5`, `default:1x [] [] /p`,
		`default:R [] [k="open] /p`, `default:R [] [k=12x] /p`, `default:R [] [k="\9"] /p`, `default:R [] [="v"] /p`,
		`default:R [] [k="a"b] /p`, `default:R [] [k="a\"] /p`,
	} {
		if r, _, err := parseRuleLine(bad); err == nil {
			t.Errorf("%q: parsed as %+v, want an error", bad, r)
		}
	}
}

func TestParseStringLine(t *testing.T) {
	for _, c := range []struct {
		line string
		off  uint64
		n    int
		id   string
		ok   bool
	}{
		{`0x1a7:5:$a: HELLO`, 0x1a7, 5, "$a", true},
		{`0x0:512:$long_1: AAAA`, 0, 512, "$long_1", true},
		{`0x10:3:$: 41 42 43`, 0x10, 3, "$", true},
		{`0x10:3:$a: 0x11:4:$b: fake`, 0x10, 3, "$a", true}, // the data is never read
		{`0x10:$a: HELLO`, 0, 0, "", false},                 // without -L
		{`0xZZ:1:$a: x`, 0, 0, "", false},
		{`default:R [] [] /proc/self/fd/5`, 0, 0, "", false},
		{`0x1:99999999999999999999:$a: x`, 0, 0, "", false},
	} {
		off, n, id, ok := parseStringLine(c.line)
		if off != c.off || n != c.n || id != c.id || ok != c.ok {
			t.Errorf("%q: %#x %d %q %v, want %#x %d %q %v", c.line, off, n, id, ok, c.off, c.n, c.id, c.ok)
		}
	}
}

func TestParseOutput(t *testing.T) {
	out := "default:A [] [] /proc/self/fd/6\n0x1:2:$a: xx\n0x5:2:$a: xx\ndefault:B [] [] /proc/self/fd/5\ndefault:A [] [] /proc/self/fd/5\n0x9:1:$a: y\n"
	hits, err := parseOutput(strings.NewReader(out), 2)
	if err != nil || len(hits) != 3 {
		t.Fatalf("%v %+v", err, hits)
	}
	if hits[0].run != 1 || hits[1].run != 0 || hits[2].run != 0 || len(hits[0].strings) != 2 || len(hits[1].strings) != 0 {
		t.Errorf("hits %+v", hits)
	}
	if hits[0].rule != hits[2].rule {
		t.Error("one rule parsed twice: the hits of a rule should share it")
	}
	for _, bad := range []string{
		"0x1:2:$a: before any rule\n",
		"default:A [] [] /proc/self/fd/7\n", // a descriptor procsnap did not give
		"default:A [] [] /etc/passwd\n",
		"default:A [] [] /proc/self/fd/05\n",
		"garbage\n",
	} {
		if _, err := parseOutput(strings.NewReader(bad), 2); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// What yara says on stderr becomes problems: a run it could not scan, a
// string past its limit of matches (on the run where it happened), and
// anything else as it is.
func TestBatchProblems(t *testing.T) {
	g := &format.Region{Desc: format.RegionDesc{Index: 3}}
	b := &batch{runs: []*dataRun{{src: 1, g: g, start: 0x1000, end: 0x3000}, {src: 1, g: g, start: 0x5000, end: 0x6000}}}
	many := make([]rawString, maxStringMatches)
	for i := range many {
		many[i] = rawString{id: "$a", off: uint64(i)}
	}
	rule := &Rule{Namespace: "default", Name: "Many"}
	hits := []rawHit{{run: 0, rule: rule, strings: many[:10]}, {run: 1, rule: rule, strings: many}}
	stderr := "error scanning /proc/self/fd/5: could not map file\n" +
		"warning: rule \"Many\": too many matches for $a, results for this rule may be incorrect\n" +
		"warning: rule \"Other\": too many matches for $b, results for this rule may be incorrect\n" +
		"something else\n"
	got := batchProblems(b, hits, stderr)
	want := []string{
		"region 3 0x1000-0x3000: yara could not scan the run: could not map file",
		"region 3 0x5000-0x6000: rule Many: more than 1000000 matches of $a: yara kept only those, and the rule's result may be wrong",
		`yara: warning: rule "Other": too many matches for $b, results for this rule may be incorrect`,
		"yara: something else",
	}
	if len(got) != len(want) {
		t.Fatalf("problems %v", got)
	}
	for i, p := range got {
		if p.Error() != want[i] || p.Source != 1 {
			t.Errorf("problem %d: %q (source %d), want %q", i, p.Error(), p.Source, want[i])
		}
	}
}
