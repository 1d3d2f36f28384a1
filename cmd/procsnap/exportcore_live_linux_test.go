//go:build linux

package main

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
	"github.com/procsnap/procsnap/procfs"
	"github.com/procsnap/procsnap/snapshot/capture"
)

// Live export-core tests: capture a running C or Go target, export the
// core, and check it with gdb. They skip only where a tool is missing
// outside CI; in CI a missing gdb or gcc is a failure.

// ecBuildC builds testdata/elfcore/target.c for gdb (-g -O0).
func ecBuildC(t *testing.T) string {
	proctest.NeedProgram(t, "gcc", "gcc")
	return proctest.BuildC(t, "elfcore/target.c", "-g", "-O0")
}

func ecBuildGo(t *testing.T) string {
	return proctest.BuildGo(t, "elfcore/gotarget")
}

// ecTarget is a running target; closing its stdin ends it.
type ecTarget struct {
	pid   int
	ready string // the target's first line
}

// ecStart runs exe and waits for its "ready" line.
func ecStart(t *testing.T, exe string) *ecTarget {
	t.Helper()
	p := proctest.Start(t, exec.Command(exe))
	s := p.Line(t)
	if !strings.HasPrefix(s, "ready") {
		t.Fatalf("target said %q, want ready", s)
	}
	return &ecTarget{pid: p.PID, ready: s}
}

// tasks lists the target's thread ids.
func (lt *ecTarget) tasks(t *testing.T) []string {
	t.Helper()
	tids, err := procfs.Default().Tasks(lt.pid)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tid := range tids {
		out = append(out, strconv.Itoa(tid))
	}
	return out
}

// waitInRead waits until n tasks of the target sit in read(2).
func (lt *ecTarget) waitInRead(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		in := 0
		for _, tid := range lt.tasks(t) {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/syscall", lt.pid, tid))
			if f := strings.Fields(string(b)); len(f) > 0 && f[0] == "0" {
				in++
			}
		}
		if in >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the target's tasks are not all blocked in read after 10s")
}

// ecCaptureExport captures the target to an archive and exports the core
// with the CLI; it returns both paths.
func ecCaptureExport(t *testing.T, pid int, opts capture.Options) (string, string) {
	t.Helper()
	dir := t.TempDir()
	archive := filepath.Join(dir, "target.psnap")
	f, err := os.OpenFile(archive, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := capture.Run(ctx, pid, f, opts)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if (errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EPERM)) && os.Getenv("CI") == "" {
		t.Skipf("ptrace is not permitted here (%v): skipping the live export-core test", err)
	}
	if err != nil || !res.Complete {
		t.Fatalf("capture: %v (result %+v)", err, res)
	}
	core := filepath.Join(dir, "target.core")
	if code, _, stderr := runCLI("export-core", "-o", core, archive); code != exitOK {
		t.Fatalf("export-core: exit %d: %s", code, stderr)
	}
	return archive, core
}

// ecMatchArchive compares every region of the archive with the
// core: data bytes equal, unreadable and not-captured pages in p_filesz 0
// segments. It returns the number of unreadable or not-captured runs.
func ecMatchArchive(t *testing.T, archive, core string) int {
	t.Helper()
	r, err := format.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := elf.Open(core)
	if err != nil {
		t.Fatalf("debug/elf: %v", err)
	}
	defer f.Close()
	if len(r.Threads()) == 0 {
		t.Fatal("the archive holds no threads")
	}
	holes := 0
	for _, g := range r.Regions() {
		err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(run format.Run) error {
			p := ecProgAt(f, run.Start)
			switch {
			case p == nil || run.End > p.Vaddr+p.Memsz:
				return fmt.Errorf("%#x-%#x: no PT_LOAD covers it", run.Start, run.End)
			case run.Data != nil:
				got := make([]byte, len(run.Data))
				if p.Filesz != p.Memsz {
					return fmt.Errorf("%#x: data in a segment with p_filesz %d", run.Start, p.Filesz)
				}
				if _, err := p.ReadAt(got, int64(run.Start-p.Vaddr)); err != nil {
					return err
				}
				if !bytes.Equal(got, run.Data) {
					return fmt.Errorf("%#x-%#x: core bytes differ from the archive", run.Start, run.End)
				}
			case run.State == format.PageUnreadable || run.State == format.PageNotCaptured:
				holes++
				if p.Filesz != 0 {
					return fmt.Errorf("%#x-%#x (%s) lies in a segment with p_filesz %d", run.Start, run.End, run.State, p.Filesz)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("region %d %s: %v", g.Desc.Index, g.Desc.Path, err)
		}
	}
	return holes
}

// ecArchiveTIDs lists the thread ids an archive holds.
func ecArchiveTIDs(t *testing.T, archive string) []string {
	t.Helper()
	r, err := format.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for _, th := range r.Threads() {
		out = append(out, strconv.Itoa(th.TID))
	}
	return out
}

func ecProgAt(f *elf.File, addr uint64) *elf.Prog {
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && addr >= p.Vaddr && addr < p.Vaddr+p.Memsz {
			return p
		}
	}
	return nil
}

// ecGDBOutput is gdb's stdout split at "@@NAME" markers, and its stderr.
type ecGDBOutput struct {
	parts  map[string]string
	stderr string
}

// ecGDB runs gdb in batch mode on exe and core; each section is a name
// and the gdb commands whose output it holds.
func ecGDB(t *testing.T, exe, core string, sections ...[2]string) ecGDBOutput {
	t.Helper()
	gdb := proctest.NeedProgram(t, "gdb", "gdb")
	args := []string{"-batch", "-nx", "-iex", "set debuginfod enabled off", "-iex", "set auto-load safe-path /"}
	for _, s := range sections {
		args = append(args, "-ex", "echo @@"+s[0]+"\\n", "-ex", s[1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, gdb, append(args, exe, core)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gdb: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	out := ecGDBOutput{parts: map[string]string{}, stderr: stderr.String()}
	chunks := strings.Split(stdout.String(), "@@")
	out.parts[""] = chunks[0]
	for _, c := range chunks[1:] {
		name, body, _ := strings.Cut(c, "\n")
		out.parts[name] = body
	}
	for _, bad := range []string{"Couldn't find general-purpose registers", "truncated", "not a core dump", "is not in executable format",
		"in core file too small", "Unexpected size of section"} {
		if strings.Contains(out.stderr, bad) {
			t.Errorf("gdb complains %q:\n%s", bad, out.stderr)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("gdb stdout:\n%s\ngdb stderr:\n%s", stdout.String(), stderr.String())
	}
	return out
}

var ecLWPRE = regexp.MustCompile(`\(LWP (\d+)\)|\bLWP (\d+)\b`)

// ecGDBThreads returns the LWP ids `info threads` lists.
func ecGDBThreads(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if m := ecLWPRE.FindStringSubmatch(line); m != nil {
			out = append(out, m[1]+m[2])
		}
	}
	return out
}

func ecSameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
