package main

import (
	"regexp"
	"runtime/debug"
	"testing"
)

// semver is a semantic version (semver.org 2.0.0), build metadata included.
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// TestModuleVersion: without make's stamp, the version comes from the
// module (go install ...@v1.2.3) and the commit the toolchain recorded.
func TestModuleVersion(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}}
	dirty := append(rev, debug.BuildSetting{Key: "vcs.modified", Value: "true"})
	for _, c := range []struct {
		main     string
		settings []debug.BuildSetting
		want     string
	}{
		{"v1.2.3", nil, "1.2.3"},
		{"v1.2.3", rev, "1.2.3+0123456789ab"},
		{"(devel)", nil, "0.0.0-dev"},
		{"(devel)", dirty, "0.0.0-dev+0123456789ab.dirty"},
		{"", rev, "0.0.0-dev+0123456789ab"},
		{"v0.0.0-20261203082800-65695f7abcde", nil, "0.0.0-20261203082800-65695f7abcde"},
		{"v0.0.0-20261203082800-65695f7abcde+dirty", rev, "0.0.0-20261203082800-65695f7abcde+dirty"},
	} {
		info := &debug.BuildInfo{Main: debug.Module{Version: c.main}, Settings: c.settings}
		got := moduleVersion(info)
		if got != c.want || !semver.MatchString(got) {
			t.Errorf("%q %v: %q, want %q (semver %v)", c.main, c.settings, got, c.want, semver.MatchString(got))
		}
	}
	if got := buildVersion("1.4.0+abc"); got != "1.4.0+abc" {
		t.Errorf("a stamped version is reported as %q", got)
	}
	if code, stdout, _ := runCLI("--version"); code != exitOK || !semver.MatchString(stdout[len("procsnap "):len(stdout)-1]) {
		t.Errorf("--version: exit %d, %q is not procsnap SEMVER", code, stdout)
	}
}
