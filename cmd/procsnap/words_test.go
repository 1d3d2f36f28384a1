package main

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/snapshot/capture"
	"github.com/procsnap/procsnap/snapshot/elfcore"
)

// Wording of the human output (issue 15): counts agree with their nouns,
// an interrupted archive is called incomplete (not damaged), anonymous
// paths are "-" everywhere, a progress line keeps its unit, and a --buffer
// below the minimum is refused instead of raised in silence.

func TestWordsSummaries(t *testing.T) {
	var b bytes.Buffer
	printCaptureSummary(&b, &capture.Result{PID: 7, Threads: 1, Regions: 1, Complete: true}, "x.psnap")
	printCoreSummary(&b, elfcore.Summary{Threads: 1, Segments: 1}, "x.core", "/bin/x")
	out := b.String()
	for _, bad := range []string{"1 threads", "1 regions", "1 segments"} {
		if strings.Contains(out, bad) {
			t.Errorf("summary says %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{"1 thread,", "1 region:", "1 segment:"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestWordsVerifyInterrupted(t *testing.T) {
	a := sampleArchive()
	a.end.Complete, a.end.Reason = false, "interrupted by SIGINT"
	dir := t.TempDir()
	path := filepath.Join(dir, "interrupted.psnap")
	a.write(t, path)
	runGoldenCases(t, dir, []goldenCase{
		{"verify-interrupted.txt", []string{"verify", path}, exitFailure, false},
	})
	_, stdout, _ := runCLI("verify", path)
	for _, bad := range []string{"FAILED", "0 problem", "cannot be trusted"} {
		if strings.Contains(stdout, bad) {
			t.Errorf("verify of an interrupted (whole) archive says %q:\n%s", bad, stdout)
		}
	}
}

func TestWordsAnonymousPath(t *testing.T) {
	dir := t.TempDir()
	older, newer := sampleArchive(), sampleArchive()
	newer.regions[2].perms = "--xp" // the anonymous, skipped region
	oldPath, newPath := filepath.Join(dir, "old.psnap"), filepath.Join(dir, "new.psnap")
	older.write(t, oldPath)
	newer.write(t, newPath)
	_, diffOut, _ := runCLI("diff", oldPath, newPath)
	_, listOut, _ := runCLI("list", newPath)
	for name, out := range map[string]string{"diff": diffOut, "list": listOut} {
		found := false
		for _, line := range strings.Split(out, "\n") {
			if strings.HasSuffix(line, " ") {
				t.Errorf("%s: line ends in a space: %q", name, line)
			}
			found = found || strings.Contains(line, "7f0000000000-") && strings.HasSuffix(line, " -")
		}
		if !found {
			t.Errorf("%s does not show the anonymous region's path as -:\n%s", name, out)
		}
	}
}

func TestWordsProgressUnit(t *testing.T) {
	for _, c := range []struct {
		done, total int64
		want        string
	}{
		{900 << 20, 1200 << 20, "0.9 / 1.2 GiB"},
		{1200 << 20, 1200 << 20, "1.2 / 1.2 GiB"},
		{100, 3000, "0.1 / 2.9 KiB"},
		{10, 100, "10 / 100 B"},
	} {
		var b bytes.Buffer
		newProgressBar(&b)(capture.Progress{Phase: "copying", Done: c.done, Total: c.total})
		if !strings.Contains(b.String(), c.want) {
			t.Errorf("%d of %d: %q, want %q", c.done, c.total, b.String(), c.want)
		}
	}
}

func TestWordsBufferMinimum(t *testing.T) {
	for _, c := range []struct {
		flags []string
		want  int64
		note  bool
	}{
		{[]string{"--buffer", "1"}, capture.MinBufferSize, true},
		{[]string{"--buffer", "0"}, capture.MinBufferSize, true},
		{[]string{"--buffer", "1", "-q"}, capture.MinBufferSize, false},
		{[]string{"--buffer", "64MiB"}, 64 << 20, false},
		{nil, 0, false},
	} {
		var o captureOpts
		fs := captureFlags(&o, io.Discard)
		if err := fs.Parse(c.flags); err != nil {
			t.Fatal(err)
		}
		opts, err := o.snapshotOptions()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		o.raiseBuffer(&opts, &stderr)
		said := strings.Contains(stderr.String(), "raised to 8.0 MiB")
		if opts.BufferSize != c.want || said != c.note {
			t.Errorf("%v: buffer %d, stderr %q; want %d, a note %v", c.flags, opts.BufferSize, stderr.String(), c.want, c.note)
		}
	}
}
