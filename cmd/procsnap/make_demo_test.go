package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/internal/proctest"

	"github.com/procsnap/procsnap/procfs"
)

// demoSteps are the labels make demo prints, in order.
var demoSteps = []string{"Building", "Starting", "Capturing", "Listing", "Verifying", "Searching", "Stopping"}

// TestMakeDemo runs README's first command in a fresh copy of the checkout:
// it exits 0, labels each step with one sentence, shows the whole region
// table and a readable search, prints nothing after it returns, stops its
// target, and leaves nothing behind but the ./procsnap it builds.
func TestMakeDemo(t *testing.T) {
	dir := checkoutCopy(t)
	tmp := shortTempDir(t)
	code, stdout, stderr := runMake(t, dir, []string{"TMPDIR=" + tmp}, "GO="+proctest.GoTool(), "demo")
	if code != 0 {
		t.Fatalf("make demo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	checkDemoOutput(t, stdout)
	checkDemoLeftovers(t, tmp)
	if left := git(t, dir, "status", "--porcelain", "--ignored", "--untracked-files=all"); left != "!! procsnap\n" {
		t.Errorf("make demo left files in the checkout besides ./procsnap:\n%s", left)
	}
	if code, out, errs := runMake(t, dir, nil, "clean"); code != 0 || git(t, dir, "status", "--porcelain", "--ignored") != "" {
		t.Errorf("make clean: exit %d, files left:\n%s%s", code, out, errs)
	}
}

// TestMakeDemoNobody runs the demo's script as an ordinary user (nobody)
// that has no Go toolchain of its own: "go build" is a stand-in that copies
// the demo target built here. PROCSNAP_LONG=1 runs the whole make demo as
// nobody instead (a cold build cache: minutes).
func TestMakeDemoNobody(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("switching to nobody needs root; as an ordinary user TestMakeDemo is this test")
	}
	proctest.NeedProgram(t, "setpriv", "util-linux")
	dir := checkoutCopy(t)
	tmp := shortTempDir(t)
	home := filepath.Join(tmp, "home")
	env := []string{"TMPDIR=" + tmp, "HOME=" + home}
	args := []string{"sh", "scripts/demo.sh", proctest.Procsnap(t)}
	if faultLong() {
		vendor := exec.Command(proctest.GoTool(), "mod", "vendor")
		vendor.Dir = dir
		if out, err := vendor.CombinedOutput(); err != nil {
			t.Fatalf("go mod vendor: %v\n%s", err, out)
		}
		env = append(env, "GOCACHE="+filepath.Join(home, "cache"), "GOFLAGS=-mod=vendor", "GOTOOLCHAIN=local")
		args = []string{"make", "--no-print-directory", "GO=" + proctest.GoTool(), "demo"}
	} else {
		env = append(env, "GO="+demoGoStub(t, tmp))
	}
	chownNobody(t, dir, tmp)
	cmd := exec.Command("setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "--"}, args...)...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v as nobody: %v\n%s", args, err, out)
	}
	checkDemoOutput(t, string(out))
	checkDemoLeftovers(t, tmp, "home", "go")
}

// checkDemoOutput checks make demo's stdout.
func checkDemoOutput(t *testing.T, out string) {
	t.Helper()
	var labels []string
	for _, line := range strings.Split(out, "\n") {
		if label, ok := strings.CutPrefix(line, "== "); ok {
			labels = append(labels, label)
		}
		if strings.Contains(line, "quick brown fox") && len(line) > 160 {
			t.Errorf("a search line of %d columns: %q", len(line), line)
		}
	}
	if len(labels) != len(demoSteps) {
		t.Fatalf("%d labelled steps, want %d:\n%s", len(labels), len(demoSteps), out)
	}
	for i, l := range labels {
		if !strings.HasPrefix(l, demoSteps[i]) || !strings.HasSuffix(l, ".") || strings.Count(l, ". ") > 0 {
			t.Errorf("step %d is not one sentence starting %q: %q", i+1, demoSteps[i], l)
		}
	}
	if !strings.HasSuffix(strings.TrimRight(out, "\n"), "== "+labels[len(labels)-1]) {
		t.Errorf("output after the last step:\n%s", out[strings.LastIndex(out, "== "):])
	}
	for _, want := range []string{"[stack]", "demo.psnap: OK", "quick brown fox|", "\nregion "} {
		if !strings.Contains(out, want) {
			t.Errorf("make demo does not show %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`runs as PID (\d+)\.`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("make demo does not say which PID it captures:\n%s", out)
	}
	pid, _ := strconv.Atoi(m[1])
	if exe, err := procfs.Default().Exe(pid); err == nil && strings.Contains(exe, "procsnap-demo.") {
		t.Errorf("the demo target (PID %d, %s) still runs after make demo returned", pid, exe)
	}
}

// checkDemoLeftovers checks that the demo removed its temporary directory
// from tmp (except the names in keep, the test's own).
func checkDemoLeftovers(t *testing.T, tmp string, keep ...string) {
	t.Helper()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !slices.Contains(keep, e.Name()) {
			t.Errorf("make demo left %s in TMPDIR", filepath.Join(tmp, e.Name()))
		}
	}
}

// shortTempDir is a new directory with a short path (the demo target's path
// shows in the search lines), writable by every user, removed after t.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pd")
	if err == nil {
		err = os.Chmod(dir, 0o1777)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// demoGoStub writes a "go" that, asked to build the demo target, copies
// one built here; it returns its path.
func demoGoStub(t *testing.T, tmp string) string {
	t.Helper()
	bin := filepath.Join(tmp, "go")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	demo := filepath.Join(bin, "demo")
	build := exec.Command(proctest.GoTool(), "build", "-o", demo, "../../testdata/demo")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build testdata/demo: %v\n%s", err, out)
	}
	stub := filepath.Join(bin, "go")
	script := "#!/bin/sh\n# go build -o OUT ./testdata/demo, from a prebuilt demo target\n" +
		"while [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=$2; shift; done\nexec cp " + demo + " \"$out\"\n"
	if err := os.WriteFile(stub, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return stub
}

// chownNobody gives the directories (recursively) to nobody.
func chownNobody(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if out, err := exec.Command("chown", "-R", "65534:65534", d).CombinedOutput(); err != nil {
			t.Fatalf("chown %s: %v\n%s", d, err, out)
		}
	}
}
