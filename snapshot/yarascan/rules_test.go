package yarascan

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format/formattest"
)

// A rule with a syntax error: Load returns yarac's message.
func TestLoadSyntaxError(t *testing.T) {
	needYara(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yar")
	must(t, os.WriteFile(bad, []byte("rule Bad {\n  strings: $a = \"x\"\n  condition: $a and\n}\n"), 0o600))
	_, err := Load(context.Background(), bad)
	var ce *CompileError
	if !errors.As(err, &ce) || !strings.Contains(ce.Message, `error: rule "Bad" in `+bad+"(4): syntax error") {
		t.Errorf("Load: %v, want yarac's syntax error", err)
	}
}

// Without yara in PATH, Load names the package to install.
func TestLoadNoYara(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Load(context.Background(), "testdata/markers.yar")
	if !errors.Is(err, ErrNoYara) || !strings.Contains(err.Error(), "apt-get install yara") {
		t.Errorf("Load without yara: %v", err)
	}
}

// RULES may be a rule file, a directory of rule files (also in
// subdirectories; other files ignored) or a rule set compiled by yarac;
// the three scan alike. A file that starts like a compiled rule set but is
// not one is refused with yara's message.
func TestLoadForms(t *testing.T) {
	needYara(t)
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/markers.yar")
	must(t, err)
	text := string(src)
	cut := strings.Index(text, "rule HexWild")
	rulesDir := filepath.Join(dir, "rules: a dir")
	must(t, os.MkdirAll(filepath.Join(rulesDir, "sub"), 0o700))
	must(t, os.WriteFile(filepath.Join(rulesDir, "one.yar"), []byte(text[:cut]), 0o600))
	must(t, os.WriteFile(filepath.Join(rulesDir, "sub", "two:colon.YARA"), []byte(text[cut:]), 0o600))
	must(t, os.WriteFile(filepath.Join(rulesDir, "README.md"), []byte("not rules"), 0o600))
	compiled := filepath.Join(dir, "markers.yarc")
	if out, err := exec.Command("yarac", "testdata/markers.yar", compiled).CombinedOutput(); err != nil {
		t.Fatalf("yarac: %v\n%s", err, out)
	}
	r := formattest.Open(t, writeArchive(t, 16<<10, markerRegions(t)...))
	want, _ := scanAll(t, loadRules(t, "testdata/markers.yar"), []Source{{Reader: r}}, Options{})
	for _, path := range []string{rulesDir, compiled} {
		rs := loadRules(t, path)
		got, _ := scanAll(t, rs, []Source{{Reader: r}}, Options{})
		if !slices.Equal(sorted(got), sorted(want)) {
			t.Errorf("%s: found\n%s\nwant\n%s", path, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if rs.Compiled != (path == compiled) || (path == rulesDir) != (len(rs.Files) == 2) {
			t.Errorf("%s: compiled %v, files %v", path, rs.Compiled, rs.Files)
		}
	}
	fake := filepath.Join(dir, "fake.yarc")
	must(t, os.WriteFile(fake, []byte("YARA and then not rules"), 0o600))
	if _, err := Load(context.Background(), fake); err == nil || !strings.Contains(err.Error(), "yara cannot load the rules: ") {
		t.Errorf("fake compiled rules: %v", err)
	}
	if _, err := Load(context.Background(), filepath.Join(dir, "sub")); err == nil {
		t.Error("a missing path loaded")
	}
	empty := filepath.Join(dir, "empty")
	must(t, os.Mkdir(empty, 0o700))
	if _, err := Load(context.Background(), empty); err == nil || !strings.Contains(err.Error(), "no *.yar or *.yara file") {
		t.Errorf("a directory without rules: %v", err)
	}
}

// Tags, meta and namespaces come through as the rule says them, meta
// text included with quotes, backslashes, tabs and non-ASCII bytes.
func TestRuleDetails(t *testing.T) {
	needYara(t)
	r := formattest.Open(t, writeArchive(t, 16<<10, markerRegions(t)...))
	rs := loadRules(t, "testdata/markers.yar")
	var rule *Rule
	_, err := rs.Scan(context.Background(), []Source{{Reader: r}}, Options{}, func(h Hit) error {
		if h.Rule.Name == "TextPlain" {
			rule = h.Rule
		}
		return nil
	})
	must(t, err)
	want := &Rule{Namespace: "default", Name: "TextPlain", Tags: []string{"text", "marker"}, Meta: []Meta{
		{"author", "procsnap tests"}, {"note", "a \"quoted\" \\ back, x]=y \t tab é"}, {"score", int64(7)},
		{"negative", int64(-3)}, {"enabled", true}}}
	if !reflect.DeepEqual(rule, want) {
		t.Errorf("rule\n%+v\nwant\n%+v", rule, want)
	}
}
