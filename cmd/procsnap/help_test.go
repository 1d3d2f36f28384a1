package main

import (
	"strings"
	"testing"
)

// TestHelpFlagRendering: the flag lists in the help texts show a bool flag
// bare and no default that is a sentinel or a zero value (issue 15).
func TestHelpFlagRendering(t *testing.T) {
	for _, name := range verbNames() {
		t.Run(name, func(t *testing.T) {
			code, stdout, _ := runCLI(name, "--help")
			if code != exitOK {
				t.Fatalf("%s --help: exit %d", name, code)
			}
			for _, bad := range []string{"[=true|false]", "(default -1)", "(default 0)", "(default false)", `(default "")`} {
				if strings.Contains(stdout, bad) {
					t.Errorf("%s --help shows %q:\n%s", name, bad, stdout)
				}
			}
		})
	}
}

// TestHelpVerb: procsnap help VERB is VERB --help.
func TestHelpVerb(t *testing.T) {
	for _, name := range verbNames() {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runCLI("help", name)
			_, want, _ := runCLI(name, "--help")
			if code != exitOK || stderr != "" || stdout != want {
				t.Errorf("help %s: exit %d, stderr %q, stdout differs from %s --help: %v", name, code, stderr, name, stdout != want)
			}
		})
	}
	for _, args := range [][]string{{"help", "bogus"}, {"help", "list", "info"}} {
		if code, stdout, stderr := runCLI(args...); code != exitUsage || stdout != "" || stderr == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	if code, stdout, _ := runCLI("help"); code != exitOK || !strings.Contains(stdout, "Usage: procsnap VERB") {
		t.Errorf("help: exit %d:\n%s", code, stdout)
	}
}

// TestHelpSelfContained: no help sends the reader to docs/ (an installed
// binary has none); procsnap --help lists every verb with its exit codes.
func TestHelpSelfContained(t *testing.T) {
	_, top, _ := runCLI("--help")
	checkGolden(t, "help.txt", "", strings.ReplaceAll(top, version, "$VERSION"))
	texts := map[string]string{"procsnap --help": top}
	for _, name := range verbNames() {
		_, texts[name+" --help"], _ = runCLI(name, "--help")
		if !strings.Contains(top, "  "+name+" ") {
			t.Errorf("procsnap --help does not list %s", name)
		}
	}
	if n := strings.Count(top, "\n               exit 0 "); n != len(verbNames()) {
		t.Errorf("procsnap --help gives exit codes for %d verbs, want %d", n, len(verbNames()))
	}
	for name, text := range texts {
		for _, bad := range []string{"docs/", "CLI.md", "README"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s points at %s", name, bad)
			}
		}
		if !strings.Contains(text, "xit code") {
			t.Errorf("%s does not give the exit codes", name)
		}
	}
}
