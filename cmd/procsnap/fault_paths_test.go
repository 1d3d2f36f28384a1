package main

// Stored paths that point outside: extract and export-core must write only
// their output file.

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFaultHostilePaths: extract and export-core, run on archives whose
// stored paths point outside, write only their output file, mode 0600.
func TestFaultHostilePaths(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs the procsnap binary and root to stat /etc/shadow")
	}
	tools := buildFaultTools(t, false)
	sandbox := t.TempDir()
	work := filepath.Join(sandbox, "a", "b", "c")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	sentinel := filepath.Join(sandbox, "outside", "pwned")
	hostile := []string{"../../etc/passwd", "/etc/shadow", sentinel, "../../../outside/pwned2", "../../../../../../../../tmp/procsnap-pwned",
		"a/../../../outside/x", "/dev/stdout", "name\nwith newline", "..", "/"}
	archive := filepath.Join(work, "hostile.psnap")
	if err := os.WriteFile(archive, faultWriterArchive(t, 64<<10, true, hostile), 0o600); err != nil {
		t.Fatal(err)
	}
	watch := []string{"/etc/passwd", "/etc/shadow", "/tmp/procsnap-pwned"}
	before := faultStats(watch)
	runs := [][]string{{"export-core", "-o", "out.core", "hostile.psnap"}, {"export-core", "hostile.psnap"}}
	for i, p := range hostile {
		runs = append(runs, []string{"extract", "--path", p, "-o", "out.bin", "hostile.psnap"})
		runs = append(runs, []string{"extract", "--region", strconv.Itoa(i + 2), "hostile.psnap"})
	}
	for _, args := range runs {
		// The name is the same in every run (the sandbox's path is not in
		// it), so that a subtest runs alone with -run its name.
		name := strings.ReplaceAll(strings.Join(args, "_"), sandbox, "SANDBOX")
		t.Run(strings.ReplaceAll(name, "/", "%"), func(t *testing.T) {
			r := faultStartProcsnap(t, tools, work, nil, args...).wait(faultVerbHang)
			if r.signal != 0 || strings.Contains(r.stderr, "panic") || r.hung {
				t.Fatalf("%q: %s", args, r)
			}
			var made []string
			err := filepath.WalkDir(sandbox, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() || p == archive {
					return err
				}
				made = append(made, p)
				info, _ := d.Info()
				if info.Mode().Perm() != 0o600 {
					t.Errorf("%q wrote %s with mode %v, want 0600", args, p, info.Mode().Perm())
				}
				return os.Remove(p)
			})
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if r.code != 0 {
				want = 0
			}
			if len(made) != want || (want == 1 && filepath.Dir(made[0]) != work) {
				t.Errorf("%q (%s) wrote %v; want only one file in %s", args, r, made, work)
			}
			if _, err := os.Stat(filepath.Join(sandbox, "outside")); err == nil {
				t.Errorf("%q created %s/outside: a stored path was used as an output path", args, sandbox)
			}
		})
	}
	if after := faultStats(watch); after != before {
		t.Errorf("files outside the sandbox changed:\nbefore %s\nafter  %s", before, after)
	}
}

// faultStats is the size, mode and times of each file (or its absence).
func faultStats(paths []string) string {
	var b strings.Builder
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			fmt.Fprintf(&b, "%s:%d:%v:%v; ", p, st.Size(), st.Mode(), st.ModTime().UnixNano())
		} else {
			fmt.Fprintf(&b, "%s:absent; ", p)
		}
	}
	return b.String()
}
