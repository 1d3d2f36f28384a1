package procfs

import (
	"errors"
	"os"
	"slices"
	"testing"
)

func TestSplitNUL(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		want []string
	}{
		{"empty", "", nil},
		{"one", "bash\x00", []string{"bash"}},
		{"several", "bash\x00-c\x00read -r line; exit 0\x00", []string{"bash", "-c", "read -r line; exit 0"}},
		{"empty argument", "a\x00\x00b\x00", []string{"a", "", "b"}},
		{"no final NUL", "nginx: worker process", []string{"nginx: worker process"}},
		{"only NUL", "\x00", []string{""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := splitNUL([]byte(tc.raw)); !slices.Equal(got, tc.want) {
				t.Errorf("splitNUL(%q) = %q, want %q", tc.raw, got, tc.want)
			}
		})
	}
}

func TestArgsFixtures(t *testing.T) {
	pids := fixturePids(t)
	const dir = "/tmp/procsnap-fixture"
	env := []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "LANG=C.UTF-8"}
	for _, tc := range []struct {
		name string
		argv []string
		env  []string
		exe  string
	}{
		{fixtureC, []string{dir + "/thread target", dir}, env, dir + "/thread target (deleted)"},
		{fixtureGo, []string{dir + "/procfs.test", "-test.run=^TestHelperThreads$"},
			append(env, "PROCSNAP_HELPER_THREADS=4"), dir + "/procfs.test"},
		{fixtureBash, []string{"bash", "--norc", "--noprofile", "-c", "read -r line; exit 0"}, env, "/usr/bin/bash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pid := pids[tc.name]
			raw, argv, err := fixtures.Cmdline(pid)
			if err != nil || !slices.Equal(argv, tc.argv) || len(raw) == 0 {
				t.Errorf("Cmdline = %q, %q, %v; want %q", raw, argv, err, tc.argv)
			}
			raw, env, err := fixtures.Environ(pid)
			if err != nil || !slices.Equal(env, tc.env) || len(raw) == 0 {
				t.Errorf("Environ = %q, %q, %v; want %q", raw, env, err, tc.env)
			}
			if comm, err := fixtures.Comm(pid); err != nil || comm != tc.name {
				t.Errorf("Comm = %q, %v; want %q", comm, err, tc.name)
			}
			if exe, err := fixtures.Exe(pid); err != nil || exe != tc.exe {
				t.Errorf("Exe = %q, %v; want %q", exe, err, tc.exe)
			}
			if cwd, err := fixtures.Cwd(pid); err != nil || cwd != dir {
				t.Errorf("Cwd = %q, %v; want %q", cwd, err, dir)
			}
			if root, err := fixtures.Root(pid); err != nil || root != "/" {
				t.Errorf("Root = %q, %v; want /", root, err)
			}
		})
	}
}

// TestMissingProcess checks that every reader reports a vanished process as ErrNotExist.
func TestMissingProcess(t *testing.T) {
	const pid = 999999999
	fs := fixtures
	for name, read := range map[string]func() error{
		"Maps":        func() error { _, _, err := fs.Maps(pid); return err },
		"Status":      func() error { _, err := fs.Status(pid); return err },
		"TaskStatus":  func() error { _, err := fs.TaskStatus(pid, pid); return err },
		"Stat":        func() error { _, err := fs.Stat(pid); return err },
		"Tasks":       func() error { _, err := fs.Tasks(pid); return err },
		"Cmdline":     func() error { _, _, err := fs.Cmdline(pid); return err },
		"Environ":     func() error { _, _, err := fs.Environ(pid); return err },
		"Comm":        func() error { _, err := fs.Comm(pid); return err },
		"Exe":         func() error { _, err := fs.Exe(pid); return err },
		"Auxv":        func() error { _, _, err := fs.Auxv(pid); return err },
		"VmFlags":     func() error { _, err := fs.VmFlags(pid, 0x1000); return err },
		"Pagemap":     func() error { _, err := fs.Pagemap(pid, 0, 4096, 4096); return err },
		"OpenPagemap": func() error { _, err := fs.OpenPagemap(pid, 4096); return err },
	} {
		if err := read(); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s of a missing pid: %v; want an error satisfying errors.Is(err, os.ErrNotExist)", name, err)
		}
	}
}
