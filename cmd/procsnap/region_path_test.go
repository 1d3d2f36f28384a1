package main

import (
	"strings"
	"testing"
)

// TestPathOneMeaning: --path selects the same regions in every verb that
// takes it (a substring of the path), and an empty --path is refused by
// each of them.
func TestPathOneMeaning(t *testing.T) {
	path, _, _ := writeSample(t)
	for _, args := range [][]string{
		{"list", "--path", ""},
		{"extract", "-o", "-", "--path", ""},
		{"search", "--string", "x", "--path", ""},
		{"yara", "--path", "", "rules.yar"},
	} {
		t.Run(args[0], func(t *testing.T) {
			code, _, stderr := runCLI(append(args, path)...)
			if code != exitUsage || !strings.Contains(stderr, "--path: want the text a path contains") {
				t.Errorf("%s with an empty --path: exit %d, stderr %q; want %d and the refusal", args[0], code, stderr, exitUsage)
			}
		})
	}
	// "demo" is a substring of region 0's path, /usr/bin/demo, and of no
	// other: every verb takes region 0 alone.
	if code, stdout, stderr := runCLI("list", "--path", "demo", path); code != exitOK || strings.Count(stdout, "\n") < 2 || !strings.Contains(stdout, "/usr/bin/demo") || strings.Contains(stdout, "[heap]") {
		t.Errorf("list --path demo: exit %d, stderr %q, stdout\n%s", code, stderr, stdout)
	}
	if code, _, stderr := runCLI("extract", "-o", "-", "--path", "demo", path); code != exitOK {
		t.Errorf("extract --path demo: exit %d, stderr %q", code, stderr)
	}
	// "/tmp/" is a substring of two paths: list shows both, extract writes
	// neither and names both.
	code, _, stderr := runCLI("extract", "-o", "-", "--path", "/tmp/", path)
	if code != exitUsage || !strings.Contains(stderr, "matches 2 regions") {
		t.Errorf("extract --path /tmp/: exit %d, stderr %q", code, stderr)
	}
}
