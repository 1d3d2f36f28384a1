package realprog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
)

// result is one run of a command.
type result struct {
	code           int
	stdout, stderr string
	wall           time.Duration
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + clip(r.stdout) + "\nstderr:\n" + clip(r.stderr)
}

func clip(s string) string {
	if len(s) > 4000 {
		return s[:2000] + "\n…\n" + s[len(s)-2000:]
	}
	return s
}

// runCmd runs a command that must finish within 3 minutes and returns its
// exit code and output; it fails t if the command cannot be run.
func runCmd(t *testing.T, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	begin := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), wall: time.Since(begin)}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s did not finish within 3 minutes\n%s", cmd, r)
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", cmd, err)
	}
	return r
}

func procsnap(t *testing.T, args ...string) result {
	t.Helper()
	return runCmd(t, proctest.ProcsnapRelease(t), args...)
}

// procsnapJSON runs a verb with --json that must exit with one of codes,
// and decodes its output into v.
func procsnapJSON(t *testing.T, v any, codes []int, args ...string) bool {
	t.Helper()
	args = append([]string{args[0], "--json"}, args[1:]...)
	r := procsnap(t, args...)
	if !slices.Contains(codes, r.code) {
		t.Errorf("procsnap %s: want exit %v\n%s", strings.Join(args, " "), codes, r)
		return false
	}
	return decode(t, r, v)
}

// decode decodes a run's JSON output into v.
func decode(t *testing.T, r result, v any) bool {
	t.Helper()
	if r.code > 1 {
		t.Errorf("%s", r)
		return false
	}
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Errorf("JSON output: %v\n%s", err, r)
		return false
	}
	return true
}

type infoJSON struct {
	Exe      string `json:"exe"`
	FrozenNS int64  `json:"frozen_ns"`
	Complete bool   `json:"complete"`
	Threads  []struct {
		TID int `json:"tid"`
	} `json:"threads"`
}

type listJSON struct {
	Regions []region `json:"regions"`
}

type region struct {
	Index int    `json:"index"`
	Start string `json:"start"`
	End   string `json:"end"`
	Perms string `json:"perms"`
	Path  string `json:"path"`
}

type searchJSON struct {
	Matches []struct {
		Address string `json:"address"`
		Region  int    `json:"region"`
	} `json:"matches"`
}

type diffJSON struct {
	Summary *struct {
		Unchanged    int `json:"unchanged"`
		Changed      int `json:"changed"`
		Added        int `json:"added"`
		Removed      int `json:"removed"`
		ChangedPages int `json:"changed_pages"`
	} `json:"summary"`
}

// hex parses a JSON address such as "0x7f12a000".
func hex(s string) uint64 {
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
	if err != nil {
		return 0
	}
	return v
}
