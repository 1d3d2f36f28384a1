//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
	"github.com/procsnap/procsnap/snapshot/capture"

	"github.com/procsnap/procsnap/procfs"
)

// Live tests of the offline verbs on real captures. The target is this
// test binary re-executed as TestHelperOfflineTarget: it maps a buffer of
// offTargetPages pages between two PROT_NONE guard pages (so the kernel
// cannot merge it with another mapping), fills every page but a few it
// leaves untouched, prints "ready ADDR", and then changes the pages named
// on each "change I J ..." line of stdin, answering "done".

const (
	offTargetEnv   = "PROCSNAP_OFFLINE_TARGET"
	offTargetPages = 64
)

var offUntouched = map[int]bool{20: true, 21: true, 22: true, 23: true}

func TestHelperOfflineTarget(t *testing.T) {
	if os.Getenv(offTargetEnv) != "1" {
		t.Skip("not a test: the target process of the live offline tests")
	}
	ps := os.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, (offTargetPages+2)*ps, syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		fmt.Println("mmap:", err)
		os.Exit(1)
	}
	buf := mem[ps : (offTargetPages+1)*ps]
	if err := syscall.Mprotect(buf, syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
		fmt.Println("mprotect:", err)
		os.Exit(1)
	}
	for i := range offTargetPages {
		if !offUntouched[i] {
			page := buf[i*ps : (i+1)*ps]
			for k := 0; k < ps; k += 8 {
				binary.LittleEndian.PutUint64(page[k:], uint64(i)<<32|uint64(k)|0x5a5a000000000000)
			}
		}
	}
	fmt.Printf("ready %x\n", uintptr(unsafe.Pointer(&buf[0])))
	in := bufio.NewScanner(os.Stdin)
	for gen := uint64(1); in.Scan(); gen++ {
		for _, f := range strings.Fields(strings.TrimPrefix(in.Text(), "change")) {
			i, err := strconv.Atoi(f)
			if err == nil && i >= 0 && i < offTargetPages {
				binary.LittleEndian.PutUint64(buf[i*ps+8*i:], 0xc0ffee0000000000|gen)
			}
		}
		fmt.Println("done")
	}
	os.Exit(0)
}

// offTarget is a running target process.
type offTarget struct {
	*proctest.Proc
	addr uint64
}

func startOffTarget(t *testing.T) *offTarget {
	t.Helper()
	p := proctest.Start(t, proctest.Self("TestHelperOfflineTarget", offTargetEnv+"=1"))
	line := p.Line(t)
	hexAddr, ok := strings.CutPrefix(line, "ready ")
	if !ok {
		t.Fatalf("target said %q, want ready ADDR", line)
	}
	tg := &offTarget{Proc: p}
	var err error
	if tg.addr, err = strconv.ParseUint(hexAddr, 16, 64); err != nil {
		t.Fatal(err)
	}
	return tg
}

func (tg *offTarget) change(t *testing.T, pages ...int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("change")
	for _, p := range pages {
		fmt.Fprintf(&b, " %d", p)
	}
	tg.Send(t, b.String())
	if s := tg.Line(t); s != "done" {
		t.Fatalf("target said %q, want done", s)
	}
}

// liveCapture captures pid into dir/name with 16 KiB chunks.
func liveCapture(t *testing.T, pid int, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := capture.Run(context.Background(), pid, f, capture.Options{ChunkSize: 16 << 10, ToolVersion: "test"})
	if err != nil {
		t.Fatalf("capture %d: %v", pid, err)
	}
	if !res.Complete {
		t.Fatalf("capture %d incomplete: %s", pid, res.Reason)
	}
	return path
}

// TestLiveDiffKnownPages changes known pages of the target between two
// captures (inside a chunk, two across a chunk boundary, two side by side,
// one never touched before): diff reports exactly those pages in the
// target's buffer, merged into runs, and nothing else there.
func TestLiveDiffKnownPages(t *testing.T) {
	tg := startOffTarget(t)
	dir := t.TempDir()
	a := liveCapture(t, tg.PID, dir, "a.psnap")
	tg.change(t, 3, 11, 12, 20, 40, 41)
	b := liveCapture(t, tg.PID, dir, "b.psnap")
	for _, p := range []string{a, b} {
		if code, stdout, _ := runCLI("verify", p); code != exitOK {
			t.Errorf("verify %s: exit %d:\n%s", filepath.Base(p), code, stdout)
		}
	}
	code, stdout, stderr := runCLI("diff", "--json", a, b)
	if code != exitFailure {
		t.Fatalf("diff: exit %d, want 1: %s", code, stderr)
	}
	var rep diffReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	ps := uint64(os.Getpagesize())
	page := func(i int) string { return hexAddr(tg.addr + uint64(i)*ps) }
	want := []jsonRange{{Start: page(3), End: page(4)}, {Start: page(11), End: page(13)},
		{Start: page(20), End: page(21)}, {Start: page(40), End: page(42)}}
	for _, g := range rep.Regions {
		if g.Start != hexAddr(tg.addr) {
			continue
		}
		if g.Status != "changed" || g.End != page(offTargetPages) || strings.Join(g.Reasons, ",") != "content" ||
			fmt.Sprint(g.Changed) != fmt.Sprint(want) || g.ChangedPages != 6 {
			t.Errorf("target buffer: %s %s-%s %v %v (%d pages), want changed to %s, content, %v (6 pages)",
				g.Status, g.Start, g.End, g.Reasons, g.Changed, g.ChangedPages, page(offTargetPages), want)
		}
		return
	}
	t.Fatalf("no region starts at the target's buffer %#x:\n%s", tg.addr, stdout)
}

// TestLiveStoppedPair captures a SIGSTOPped target twice: no differences,
// both archives verify, the target stays stopped, and every region
// extracted from the archive equals the target's memory read through
// /proc/PID/mem (pages the archive lacks come out as zeros).
func TestLiveStoppedPair(t *testing.T) {
	tg := startOffTarget(t)
	proctest.Suspend(t, tg.PID)
	dir := t.TempDir()
	c := liveCapture(t, tg.PID, dir, "c.psnap")
	d := liveCapture(t, tg.PID, dir, "d.psnap")
	if code, stdout, stderr := runCLI("diff", c, d); code != exitOK || !strings.HasPrefix(stdout, "no differences") {
		t.Errorf("diff of two captures of a stopped process: exit %d:\n%s%s", code, stdout, stderr)
	}
	for _, p := range []string{c, d} {
		if code, stdout, _ := runCLI("verify", p); code != exitOK {
			t.Errorf("verify %s: exit %d:\n%s", filepath.Base(p), code, stdout)
		}
	}
	if !proctest.StatesOf(t, tg.PID).All('T') {
		t.Fatal("the target is no longer stopped")
	}
	checkExtractMatchesMemory(t, tg.PID, d)
}

func checkExtractMatchesMemory(t *testing.T, pid int, archive string) {
	t.Helper()
	r, err := format.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	mem, err := procfs.Default().OpenMem(pid)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	dir := t.TempDir()
	compared := 0
	for _, g := range r.Regions() {
		out := filepath.Join(dir, fmt.Sprintf("r%d.bin", g.Desc.Index))
		code, _, stderr := runCLI("extract", "--region", strconv.Itoa(g.Desc.Index), "-o", out, archive)
		if code != exitOK {
			t.Fatalf("extract region %d: exit %d: %s", g.Desc.Index, code, stderr)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := f.Stat(); st.Size() != int64(g.Desc.Size()) {
			t.Errorf("region %d: extracted %d bytes, region is %d", g.Desc.Index, st.Size(), g.Desc.Size())
		}
		err = r.ReadRange(g, g.Desc.Start, g.Desc.End, func(run format.Run) error {
			held := run.State == format.PageData || run.State == format.PageZero
			if held {
				compared++
			}
			return compareRun(f, mem, g, run, held)
		})
		f.Close()
		if err != nil {
			t.Errorf("region %d (%s): %v", g.Desc.Index, g.Desc.Path, err)
		}
	}
	if compared == 0 {
		t.Error("no page was compared")
	}
}

// compareRun compares one run of an extracted region with the target's
// memory, 1 MiB at a time (held), or checks that it is zeros (pages the
// archive does not hold).
func compareRun(f, mem *os.File, g *format.Region, run format.Run, held bool) error {
	if !held {
		return checkZeros(f, run.Start-g.Desc.Start, run.End-g.Desc.Start)
	}
	const step = 1 << 20
	got, want := make([]byte, step), make([]byte, step)
	for a := run.Start; a < run.End; a += step {
		n := min(step, run.End-a)
		if _, err := f.ReadAt(got[:n], int64(a-g.Desc.Start)); err != nil {
			return fmt.Errorf("read extract at %#x: %v", a, err)
		}
		if _, err := mem.ReadAt(want[:n], int64(a)); err != nil {
			return fmt.Errorf("read /proc/PID/mem at %#x: %v", a, err)
		}
		if !bytes.Equal(got[:n], want[:n]) {
			return fmt.Errorf("%s run %#x-%#x differs at %#x-%#x", run.State, run.Start, run.End, a, a+n)
		}
	}
	return nil
}

// checkZeros checks that bytes [lo, hi) of f are zero, reading only the
// parts that are not holes (extract skips over zeros in a file, and
// skipped regions can be gigabytes of address space).
func checkZeros(f *os.File, lo, hi uint64) error {
	const seekData, seekHole = 3, 4 // SEEK_DATA, SEEK_HOLE
	for off := int64(lo); off < int64(hi); {
		d, err := f.Seek(off, seekData)
		if errors.Is(err, syscall.ENXIO) || err == nil && d >= int64(hi) {
			return nil // no data in the rest of the range
		}
		if err != nil {
			return err
		}
		h, err := f.Seek(d, seekHole)
		if err != nil {
			return err
		}
		h = min(h, int64(hi))
		b := make([]byte, h-d)
		if _, err := f.ReadAt(b, d); err != nil {
			return err
		}
		if !bytes.Equal(b, make([]byte, len(b))) {
			return fmt.Errorf("bytes %#x-%#x of the extract should be zeros", d, h)
		}
		off = h
	}
	return nil
}
