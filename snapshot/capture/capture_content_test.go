package capture

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
	"golang.org/x/sys/unix"

	"github.com/procsnap/procsnap/procfs"
)

// contentTarget is a running testdata/capture/content.c.
type contentTarget struct {
	*proctest.Proc
	dir         string
	objs        map[string]contentObj
	data        contentObj // the .data marker (tag unused)
	sparsePages []uint64
}

type contentObj struct {
	addr, len uint64
	tag       uint32
}

// dataMarker is DATA_MARKER of content.c.
const dataMarker = "procsnap .data marker: initialised data, stored in the executable's .data section"

const sparseLen = 16 << 30

// contentPattern is pat of content.c: byte i of an object with tag.
func contentPattern(tag uint32, from, n uint64) []byte {
	b := make([]byte, n)
	for k := range b {
		i := from + uint64(k)
		x := (i>>3)*0x9E3779B97F4A7C15 + uint64(tag)*0xBF58476D1CE4E5B9
		x ^= x >> 29
		b[k] = byte(x >> (8 * (i & 7)))
	}
	return b
}

func startContent(tb testing.TB) *contentTarget {
	tb.Helper()
	dir := tb.TempDir()
	p := proctest.StartC(tb, "capture/content.c", dir)
	ct := &contentTarget{Proc: p, dir: dir, objs: map[string]contentObj{}}
	for _, line := range p.Lines {
		f := strings.Fields(line)
		bad := func() { tb.Fatalf("content target said %q", line) }
		num := func(s string) uint64 {
			v, err := strconv.ParseUint(s, 0, 64)
			if err != nil {
				bad()
			}
			return v
		}
		switch {
		case f[0] == "obj" && len(f) == 5:
			ct.objs[f[1]] = contentObj{addr: num(f[2]), len: num(f[3]), tag: uint32(num(f[4]))}
		case f[0] == "data" && len(f) == 3:
			ct.data = contentObj{addr: num(f[1]), len: num(f[2])}
		case f[0] == "sparse-page" && len(f) == 2:
			ct.sparsePages = append(ct.sparsePages, num(f[1]))
		case f[0] == "ready":
		default:
			bad()
		}
	}
	if len(ct.objs) != 8 || ct.data.addr == 0 || len(ct.sparsePages) == 0 {
		tb.Fatalf("content target said %q", p.Lines)
	}
	return ct
}

// TestCaptureKnownContent captures a stopped target with memory of every
// kind and checks each region against the target's own memory, each object
// against the pattern the target wrote, and the special regions.
func TestCaptureKnownContent(t *testing.T) {
	ct := startContent(t)
	proctest.Suspend(t, ct.PID)
	maps, _, err := procfs.Default().Maps(ct.PID)
	if err != nil {
		t.Fatal(err)
	}
	for _, include := range []bool{false, true} {
		t.Run(fmt.Sprintf("IncludeUnreadable=%v", include), func(t *testing.T) {
			r, res, path := captureFile(t, ct.PID, Options{IncludeUnreadable: include})
			proctest.WaitAll(t, ct.PID, 'T')
			if !bytes.Equal(r.Maps(), maps) {
				t.Errorf("archive maps differ from /proc/%d/maps", ct.PID)
			}
			checkDescs(t, r, maps)
			checkAgainstMemory(t, r, ct.PID)
			ct.checkObjects(t, r, include)
			ct.checkSpecial(t, r, include)
			ct.checkSparse(t, r, res, path)
		})
	}
}

// checkDescs checks every descriptor against its maps line.
func checkDescs(t *testing.T, r *format.Reader, maps []byte) {
	lines := strings.Split(strings.TrimSuffix(string(maps), "\n"), "\n")
	regions := r.Regions()
	if len(regions) != len(lines) {
		t.Fatalf("%d regions for %d maps lines", len(regions), len(lines))
	}
	for i, g := range regions {
		d := g.Desc
		if d.Index != i || d.MapsLine != lines[i] {
			t.Errorf("region %d: index %d, maps line %q, want %q", i, d.Index, d.MapsLine, lines[i])
		}
		// The kernel pads addresses to 8 hex digits (0x400000, where a
		// static non-PIE program starts, is "00400000").
		if want := fmt.Sprintf("%08x-%08x %s ", d.Start, d.End, d.Perms); !strings.HasPrefix(d.MapsLine, want) {
			t.Errorf("region %d: %q does not start with %q", i, d.MapsLine, want)
		}
		if d.Path != "" && !strings.HasSuffix(d.MapsLine, " "+d.Path) {
			t.Errorf("region %d: path %q is not the end of %q", i, d.Path, d.MapsLine)
		}
		if g.Footer == nil {
			t.Errorf("region %d (%s) has no footer", i, d.MapsLine)
		}
	}
}

// checkAgainstMemory compares every captured page of every region below
// 1 GiB with /proc/PID/mem of the stopped target. Pages the archive calls
// unreadable must not be readable there either.
func checkAgainstMemory(t *testing.T, r *format.Reader, pid int) {
	mem, err := procfs.Default().OpenMem(pid)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	for _, g := range r.Regions() {
		if g.Desc.Skip != "" || g.Desc.Size() >= 1<<30 {
			continue // skipped; the sparse region is checked on its own
		}
		if st := g.State(); st != format.RegionComplete {
			t.Errorf("region %d (%s) is %v: %s", g.Desc.Index, g.Desc.MapsLine, st, g.Footer.Message)
			continue
		}
		err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(run format.Run) error {
			want := make([]byte, run.End-run.Start)
			n, rerr := unix.Pread(int(mem.Fd()), want, int64(run.Start))
			switch run.State {
			case format.PageData, format.PageZero:
				if rerr != nil || n != len(want) {
					return fmt.Errorf("%#x-%#x: captured, but /proc/PID/mem reads %d bytes: %v", run.Start, run.End, n, rerr)
				}
				got := run.Data
				if got == nil {
					got = make([]byte, len(want))
				}
				if i := firstDiff(got, want); i >= 0 {
					return fmt.Errorf("%#x-%#x (%v): differs from /proc/PID/mem at %#x", run.Start, run.End, run.State, run.Start+uint64(i))
				}
			case format.PageUnreadable:
				if rerr == nil && n > 0 {
					return fmt.Errorf("%#x-%#x: unreadable (errno %d) in the archive, but /proc/PID/mem reads it", run.Start, run.End, run.Errno)
				}
				if run.Errno == 0 {
					return fmt.Errorf("%#x-%#x: unreadable without an errno", run.Start, run.End)
				}
			default:
				return fmt.Errorf("%#x-%#x is %v", run.Start, run.End, run.State)
			}
			return nil
		})
		if err != nil {
			t.Errorf("region %d (%s): %v", g.Desc.Index, g.Desc.MapsLine, err)
		}
	}
}

func firstDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// checkObjects checks the objects the target filled, and the paths of the
// file mappings.
func (ct *contentTarget) checkObjects(t *testing.T, r *format.Reader, include bool) {
	for name, o := range ct.objs {
		switch {
		case name == "sparse":
			continue
		case name == "prot-none" && !include:
			g := r.Find(o.addr)
			if g == nil || g.Desc.Skip == "" || g.State() != format.RegionSkipped || g.Desc.Perms != "---p" {
				t.Errorf("PROT_NONE region %+v is not skipped by default", g)
			}
			continue
		}
		if got := archiveBytes(t, r, o.addr, int(o.len)); !bytes.Equal(got, contentPattern(o.tag, 0, o.len)) {
			t.Errorf("%s at %#x: the archive does not hold what the target wrote (first difference at +%#x)",
				name, o.addr, firstDiff(got, contentPattern(o.tag, 0, o.len)))
		}
	}
	if got := archiveBytes(t, r, ct.data.addr, int(ct.data.len)); string(got) != dataMarker {
		t.Errorf(".data marker: %q", got)
	}
	paths := map[string]string{
		"spaced":  filepath.Join(ct.dir, "file with  two spaces.bin"),
		"deleted": filepath.Join(ct.dir, "deleted file.bin") + " (deleted)",
		"memfd":   "/memfd:procsnap test memfd (deleted)",
	}
	for name, want := range paths {
		g := r.Find(ct.objs[name].addr)
		if g == nil || g.Desc.Path != want || !strings.HasSuffix(g.Desc.MapsLine, " "+want) {
			t.Errorf("%s: region %+v, want path %q", name, g, want)
		}
	}
	first, last := r.Find(ct.objs["many"].addr), r.Find(ct.objs["many"].addr+ct.objs["many"].len-1)
	if first == nil || last == nil || last.Desc.Index-first.Desc.Index+1 < 3000 {
		t.Errorf("the 3000 pages with alternating permissions are not 3000 regions")
	}
}

// checkSpecial: [vvar] and [vvar_vclock] are unreadable or skipped;
// [vsyscall] is skipped, or unreadable with --include-unreadable.
func (ct *contentTarget) checkSpecial(t *testing.T, r *format.Reader, include bool) {
	seen := map[string]bool{}
	for _, g := range r.Regions() {
		d := g.Desc
		switch d.Path {
		case "[vvar]", "[vvar_vclock]", "[vsyscall]":
		default:
			continue
		}
		seen[d.Path] = true
		switch {
		case d.Skip != "":
			if d.Path == "[vsyscall]" && include {
				t.Errorf("%s skipped (%s) with IncludeUnreadable", d.Path, d.Skip)
			}
		case g.Footer == nil:
			t.Errorf("%s has no footer", d.Path)
		case g.Footer.UnreadableBytes != d.Size() || g.Footer.DataBytes != 0 || g.State() != format.RegionComplete:
			t.Errorf("%s: footer %+v, want every byte unreadable", d.Path, *g.Footer)
		case d.Path == "[vsyscall]" && !include:
			t.Errorf("%s captured without IncludeUnreadable", d.Path)
		}
	}
	if !seen["[vvar]"] {
		t.Errorf("no [vvar] region in %d regions", len(r.Regions()))
	}
}

// checkSparse: the 16 GiB MAP_NORESERVE region costs only its touched
// pages: they are its only data, the rest is zero fills, and neither the
// copy buffer nor the archive grows with the region.
func (ct *contentTarget) checkSparse(t *testing.T, r *format.Reader, res *Result, path string) {
	o := ct.objs["sparse"]
	g := r.Find(o.addr)
	if g == nil || g.Desc.Start != o.addr || g.Desc.End != o.addr+sparseLen || g.Footer == nil {
		t.Fatalf("sparse region: %+v", g)
	}
	touched := uint64(len(ct.sparsePages)) * 4096
	if f := g.Footer; f.DataBytes != touched || f.ZeroBytes != sparseLen-touched || f.UnreadableBytes != 0 || f.NotCapturedBytes != 0 {
		t.Errorf("sparse region footer: data %d, zero %d, unreadable %d, not captured %d; want data %d, zero %d",
			f.DataBytes, f.ZeroBytes, f.UnreadableBytes, f.NotCapturedBytes, touched, uint64(sparseLen)-touched)
	}
	if n := len(g.Spans()); n > 2*len(ct.sparsePages)+1 {
		t.Errorf("sparse region is stored in %d spans, want at most %d", n, 2*len(ct.sparsePages)+1)
	}
	for _, pg := range ct.sparsePages {
		off := pg * 4096
		if got := archiveBytes(t, r, o.addr+off, 4096); !bytes.Equal(got, contentPattern(o.tag, off, 4096)) {
			t.Errorf("sparse page %d does not hold what the target wrote", pg)
		}
	}
	err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(run format.Run) error {
		for a := run.Start; run.State == format.PageData && a < run.End; a += 4096 {
			if !slices.Contains(ct.sparsePages, (a-o.addr)/4096) {
				return fmt.Errorf("page %#x, which the target never touched, is stored as data", a)
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("sparse region: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 16<<20 || res.ArchiveBytes != st.Size() {
		t.Errorf("archive is %d bytes (Result says %d), want it small", st.Size(), res.ArchiveBytes)
	}
	if res.PrecopyBytes > 512<<20 || res.RereadBytes > 512<<20 {
		t.Errorf("pre-copy read %d MiB, the freeze %d MiB: the plan reads the untouched sparse pages", res.PrecopyBytes>>20, res.RereadBytes>>20)
	}
}
