package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// envSample is the sample archive with the environment, working directory
// and root that capture stores.
func envSample() offArchive {
	a := sampleArchive()
	a.meta.Environ = []string{"HOME=/home/web", "API_TOKEN=s3cr3t", "EVIL=\x1b[2J"}
	a.meta.Extra = map[string]string{"cwd": "/srv/web", "root": "/", "level": "fastest"}
	return a
}

// TestInfoEnviron: info shows cwd and root, counts the environment without
// showing it (and says how to), and shows it with --environ; JSON likewise.
func TestInfoEnviron(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "env.psnap")
	envSample().write(t, path)
	runGoldenCases(t, dir, []goldenCase{
		{"info-env.txt", []string{"info", path}, exitOK, false},
		{"info-environ.txt", []string{"info", "--environ", path}, exitOK, false},
	})
	_, plain, _ := runCLI("info", path)
	if strings.Contains(plain, "s3cr3t") || !strings.Contains(plain, "3 variables stored") || !strings.Contains(plain, "info --environ") {
		t.Errorf("info without --environ:\n%s", plain)
	}
	_, shown, _ := runCLI("info", "--environ", path)
	if !strings.Contains(shown, "  API_TOKEN=s3cr3t\n") || strings.Contains(shown, "\x1b") {
		t.Errorf("info --environ:\n%q", shown)
	}
	for _, c := range []struct {
		args    []string
		environ []string
	}{
		{[]string{"info", "--json", path}, nil},
		{[]string{"info", "--json", "--environ", path}, envSample().meta.Environ},
	} {
		_, stdout, _ := runCLI(c.args...)
		var x struct {
			Cwd, Root    *string
			EnvironCount int       `json:"environ_count"`
			Environ      *[]string `json:"environ"`
		}
		if err := json.Unmarshal([]byte(stdout), &x); err != nil {
			t.Fatal(err)
		}
		if x.Cwd == nil || *x.Cwd != "/srv/web" || x.Root == nil || *x.Root != "/" || x.EnvironCount != 3 {
			t.Errorf("%v: cwd %v, root %v, environ_count %d", c.args, x.Cwd, x.Root, x.EnvironCount)
		}
		if (x.Environ == nil) != (c.environ == nil) || x.Environ != nil && strings.Join(*x.Environ, "|") != strings.Join(c.environ, "|") {
			t.Errorf("%v: environ %v, want %v", c.args, x.Environ, c.environ)
		}
	}
}
