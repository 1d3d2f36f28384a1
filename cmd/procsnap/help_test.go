package main

import (
	"strings"
	"testing"
)

// TestHelpFlagRendering: the flag lists in the help texts show a bool flag
// bare and no default that is a sentinel or a zero value (issue 15).
func TestHelpFlagRendering(t *testing.T) {
	for _, name := range verbOrder {
		t.Run(name, func(t *testing.T) {
			code, stdout, _ := offRun(name, "--help")
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
