package main

// Archives from standard input (issue 15, item 4): every offline verb
// takes "-". verify, info and list read a pipe in one forward pass; the
// others need random access, which a redirected file gives and a pipe does
// not (they say so and what to do).

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/internal/proctest"
)

// withStdin runs fn with os.Stdin reading b: through a pipe, or, with
// file, from a regular file.
func withStdin(t *testing.T, b []byte, file bool, fn func()) {
	t.Helper()
	old := os.Stdin
	defer func() { os.Stdin = old }()
	if file {
		path := filepath.Join(t.TempDir(), "stdin.psnap")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		os.Stdin = f
		fn()
		return
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { pw.Write(b); pw.Close() }()
	defer pr.Close()
	os.Stdin = pr
	fn()
}

// stdinRun runs procsnap in-process with b on standard input.
func stdinRun(t *testing.T, b []byte, file bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	withStdin(t, b, file, func() { code, stdout, stderr = runCLI(args...) })
	return code, stdout, stderr
}

// stdinInputs are the sample archive whole, cut off, and with a damaged
// chunk (a flipped byte in the heap's data).
func stdinInputs(t *testing.T) map[string][]byte {
	path, _, whole := writeSample(t)
	r := captOpen(t, path)
	damaged := bytes.Clone(whole)
	heap := r.Regions()[1].Spans()[0]
	damaged[heap.Offset()+200] ^= 0x40
	return map[string][]byte{"whole": whole, "cut": whole[:len(whole)*2/3], "damaged": damaged}
}

// TestStdinVerify: verify - on a pipe gives the report, JSON and exit code
// that verify FILE gives, for a whole, a cut-off and a damaged archive.
func TestStdinVerify(t *testing.T) {
	for name, b := range stdinInputs(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.psnap")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			wantCode, want, _ := runCLI("verify", "--json", path)
			code, got, stderr := stdinRun(t, b, false, "verify", "--json", "-")
			if code != wantCode || got != want {
				t.Errorf("verify --json -: exit %d, %s%s\nverify --json FILE: exit %d, %s", code, got, stderr, wantCode, want)
			}
			if name != "whole" && code != exitFailure {
				t.Errorf("a %s archive: exit %d, want 1", name, code)
			}
			_, text, _ := stdinRun(t, b, false, "verify", "-")
			_, fileText, _ := runCLI("verify", path)
			if text != strings.ReplaceAll(fileText, path, "-") {
				t.Errorf("verify -:\n%s\nverify FILE:\n%s", text, fileText)
			}
		})
	}
	if code, _, stderr := stdinRun(t, []byte("not an archive, just text"), false, "verify", "-"); code != exitFailure || !strings.Contains(stderr, "not a procsnap archive") {
		t.Errorf("verify - of text: exit %d, %q", code, stderr)
	}
}

// TestStdinVerbs: info and list read a pipe as they read the file; the
// verbs that need random access refuse a pipe, saying what to do, and
// read a redirected file as they read it by name.
func TestStdinVerbs(t *testing.T) {
	path, _, whole := writeSample(t)
	forward := [][]string{{"info", "--json"}, {"list"}, {"list", "--json"}, {"verify"}}
	random := [][]string{
		{"extract", "--region", "1", "-o", "-"}, {"export-core", "-o", "-"}, {"search", "--string", "procsnap"},
	}
	for _, args := range append(forward, random...) {
		wantCode, want, _ := runCLI(append(args, path)...)
		for _, file := range []bool{false, true} {
			code, got, stderr := stdinRun(t, whole, file, append(args, "-")...)
			needs := !file && !slicesContains(forward, args)
			switch {
			case needs && (code != exitUsage || !strings.Contains(stderr, "needs random access") || !strings.Contains(stderr, "save the stream to a file")):
				t.Errorf("%v - from a pipe: exit %d, %q; want 2 saying it needs random access and what to do", args, code, stderr)
			case !needs && (code != wantCode || stdinNormalize(got, path) != stdinNormalize(want, path)):
				t.Errorf("%v - (file %v): exit %d, %d bytes %q; with the path: exit %d, %d bytes", args, file, code, len(got), stderr, wantCode, len(want))
			}
		}
	}
	if code, _, stderr := stdinRun(t, whole, true, "diff", path, "-"); code != exitOK {
		t.Errorf("diff FILE - < FILE: exit %d, %q", code, stderr)
	}
	if code, _, stderr := stdinRun(t, whole, false, "diff", path, "-"); code != exitUsage || !strings.Contains(stderr, "needs random access") {
		t.Errorf("diff FILE - from a pipe: exit %d, %q", code, stderr)
	}
	if code, _, stderr := stdinRun(t, whole, true, "extract", "--region", "1", "-"); code != exitUsage || !strings.Contains(stderr, "give -o") {
		t.Errorf("extract - without -o: exit %d, %q", code, stderr)
	}
}

func slicesContains(list [][]string, args []string) bool {
	for _, l := range list {
		if strings.Join(l, " ") == strings.Join(args, " ") {
			return true
		}
	}
	return false
}

// stdinNormalize drops what differs between reading by name and from
// standard input: the name, and info's "recovered" (a stream is read
// record by record, but its index is checked).
func stdinNormalize(out, path string) string {
	out = strings.ReplaceAll(out, path, "-")
	var v map[string]any
	if json.Unmarshal([]byte(out), &v) == nil {
		b, _ := json.Marshal(v)
		return string(b)
	}
	return out
}

// TestStdinLive: procsnap capture -o - PID | procsnap verify - on a live
// target, and the same stream cut short and damaged on its way.
func TestStdinLive(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" || os.Geteuid() != 0 {
		t.Skip("capture needs linux/amd64 and root")
	}
	procsnap := proctest.Procsnap(t)
	tg := proctest.StartThreads(t, 4, 64)
	for _, tc := range []struct {
		name, filter string
		code         int
		says         string
	}{
		{"whole", "cat", 0, "-: OK"},
		{"cut", "head -c 3000000", 1, "archive ends in a damaged or cut-off record"},
		{"damaged", `{ head -c 2000000; head -c 1 | tr '\000-\377' '\200-\377\000-\177'; cat; }`, 1, "-: FAILED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			script := `"$0" capture --no-progress -q -o - "$1" | ` + tc.filter + ` | "$0" verify -`
			cmd := exec.Command("sh", "-c", script, procsnap, strconv.Itoa(tg.PID))
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != tc.code || !strings.Contains(string(out), tc.says) {
				t.Errorf("capture -o - | %s | verify -: exit %d, want %d saying %q:\n%s", tc.filter, code, tc.code, tc.says, out)
			}
		})
	}
	tg.CheckRunning(t)
}
