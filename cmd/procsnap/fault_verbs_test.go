package main

// The offline verbs as the fault suite runs them on hostile archives:
// their arguments, what a failing exit must say, and an in-process runner
// that turns a panic or a hang into a failure.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultVerb is one offline verb run on a mutant.
type faultVerb struct {
	name string
	args func(mutant, base, out string, i int) []string
	// ok reports whether a non-zero exit explains itself.
	ok func(code int, stdout, stderr string) bool
}

func faultStderrSays(code int, _, stderr string) bool {
	return code == 0 || (code <= 2 && strings.TrimSpace(stderr) != "")
}

func faultSaysSomething(code int, stdout, stderr string) bool {
	return code == 0 || (code <= 2 && strings.TrimSpace(stdout+stderr) != "")
}

// faultDiffOK: as diff(1), 1 means differences (printed), 2 trouble.
func faultDiffOK(code int, stdout, stderr string) bool {
	switch code {
	case 0:
		return true
	case 1:
		return strings.TrimSpace(stdout) != ""
	case 2:
		return strings.TrimSpace(stderr) != ""
	}
	return false
}

// faultSearchOK: 1 means nothing found (silent, as grep), 2 trouble.
func faultSearchOK(code int, _, stderr string) bool {
	return code == 0 || code == 1 || (code == 2 && strings.TrimSpace(stderr) != "")
}

// faultVerbs lists the verbs, with arguments that rotate over their modes.
func faultVerbs(search bool) []faultVerb {
	pick := func(i int, opts ...[]string) []string { return opts[i%len(opts)] }
	verbs := []faultVerb{
		{"info", func(m, _, _ string, i int) []string {
			return append(pick(i, []string{"info"}, []string{"info", "--json"}), m)
		}, faultStderrSays},
		{"list", func(m, _, _ string, i int) []string {
			return append(pick(i, []string{"list"}, []string{"list", "--json"}), m)
		}, faultStderrSays},
		{"verify", func(m, _, _ string, i int) []string {
			return append(pick(i, []string{"verify"}, []string{"verify", "--json"}), m)
		}, faultSaysSomething},
		{"extract", func(m, _, out string, i int) []string {
			sel := pick(i, []string{"--region", strconv.Itoa(i % 7)}, []string{"--addr", "0x1000000"}, []string{"--path", "heap"},
				[]string{"--range", "0x1010000-0x1060000"}, []string{"--region", "1", "--range", "0x1000000-0x1001000"})
			return append(append([]string{"extract", "-o", filepath.Join(out, "extract.bin")}, sel...), m)
		}, faultStderrSays},
		{"diff", func(m, b, _ string, i int) []string {
			return append(pick(i, []string{"diff"}, []string{"diff", "--strict"}, []string{"diff", "--json"}), m, b)
		}, faultDiffOK},
		{"export-core", func(m, _, out string, _ int) []string {
			return []string{"export-core", "-o", filepath.Join(out, "core"), m}
		}, faultStderrSays},
	}
	if search {
		verbs = append(verbs, faultVerb{"search", func(m, _, _ string, i int) []string {
			return append(pick(i, []string{"search", "--string", "quick brown"}, []string{"search", "--hex", "70726f63"},
				[]string{"search", "--regex", "fo+x"}, []string{"search", "--strings", "--min", "6", "--max", "300"},
				[]string{"search", "--json", "--wide", "--ignore-case", "--string", "QUICK"}), m)
		}, faultSearchOK})
	}
	return verbs
}

// faultSearchReady reports whether search is implemented yet.
func faultSearchReady() bool {
	_, stdout, stderr := runCLI("search", "--help")
	return !strings.Contains(stdout+stderr, "not implemented")
}

// faultFailures groups failures by verb and symptom.
type faultFailures struct {
	t      *testing.T
	mu     sync.Mutex
	counts map[string]int
	saved  string
}

func (f *faultFailures) add(verb, symptom, mutant string, data []byte, detail string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := verb + ": " + symptom
	f.counts[key]++
	if f.counts[key] > faultMaxReports {
		return
	}
	where := ""
	if f.saved != "" {
		p := filepath.Join(f.saved, strings.ReplaceAll(mutant, "/", "_")+".psnap")
		if os.WriteFile(p, data, 0o600) == nil {
			where = " (saved as " + p + ")"
		}
	}
	f.t.Errorf("%s on mutant %s%s: %s", key, mutant, where, detail)
}

func (f *faultFailures) summary() {
	for k, n := range f.counts {
		f.t.Errorf("%d mutants: %s", n, k)
	}
}

// runVerbInProcess runs one verb through runCLIContext with a hang guard,
// turning a panic into a failure. It returns the exit code and outputs.
func runVerbInProcess(args []string) (code int, stdout, stderr string, panicked string, hung bool) {
	type result struct {
		code           int
		stdout, stderr string
		panicked       string
	}
	ctx, cancel := context.WithTimeout(context.Background(), faultVerbHang)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		var res result
		defer func() {
			if p := recover(); p != nil {
				res.panicked = fmt.Sprintf("%v\n%s", p, debug.Stack())
			}
			done <- res
		}()
		res.code, res.stdout, res.stderr = runCLIContext(ctx, args...)
	}()
	select {
	case r := <-done:
		return r.code, r.stdout, r.stderr, r.panicked, false
	case <-time.After(faultVerbHang + 5*time.Second):
		return -1, "", "", "", true
	}
}

// faultCheckOutDir fails unless dir holds nothing but allowed files, each
// with mode 0600; it then empties dir.
func faultCheckOutDir(dir string, allowed ...string) (string, bool) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err.Error(), false
	}
	var bad []string
	for _, e := range ents {
		info, _ := e.Info()
		switch {
		case !slices.Contains(allowed, e.Name()):
			bad = append(bad, "unexpected "+e.Name())
		case info != nil && info.Mode().Perm() != 0o600:
			bad = append(bad, fmt.Sprintf("%s has mode %v, want 0600", e.Name(), info.Mode().Perm()))
		}
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
	return strings.Join(bad, "; "), len(bad) == 0
}

func faultClip(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}
