package yarascan

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
	"github.com/procsnap/procsnap/internal/proctest"
)

const pg = 4096

// memRegion is a region to write into a test archive (formattest's
// layout letters); newRegion fills its D pages with random bytes, never
// zero.
type memRegion struct{ formattest.Region }

func newRegion(index int, start uint64, path, layout string) *memRegion {
	m := &memRegion{formattest.Region{
		Desc:   format.RegionDesc{Index: index, Start: start, End: start + uint64(len(layout)*pg), Perms: "rw-p", Path: path},
		Data:   make([]byte, len(layout)*pg),
		Layout: layout,
	}}
	rng := rand.New(rand.NewPCG(uint64(index), start))
	for i, c := range layout {
		if c == 'D' {
			for k := i * pg; k < (i+1)*pg; k++ {
				m.Data[k] = byte(rng.UintN(255) + 1)
			}
		}
	}
	return m
}

// put plants b at addr; it may only touch D pages.
func (m *memRegion) put(t testing.TB, addr uint64, b []byte) {
	t.Helper()
	off := int(addr - m.Desc.Start)
	for p := off / pg; p <= (off+len(b)-1)/pg; p++ {
		if m.Layout[p] != 'D' {
			t.Fatalf("planting %q at %#x touches page %d (%c)", b, addr, p, m.Layout[p])
		}
	}
	copy(m.Data[off:], b)
}

// seg is a run of data pages: what Scan must hand yara as one buffer.
type seg struct {
	region     int
	start, end uint64
	b          []byte
}

func (m *memRegion) runs() []seg {
	var out []seg
	for _, r := range m.Runs('D') {
		out = append(out, seg{m.Desc.Index, m.Desc.Start + uint64(r[0]*pg), m.Desc.Start + uint64(r[1]*pg), m.Data[r[0]*pg : r[1]*pg]})
	}
	return out
}

// writeArchive writes the regions into an archive in memory.
func writeArchive(t testing.TB, chunk int, regions ...*memRegion) []byte {
	t.Helper()
	a := formattest.Archive{Options: format.WriterOptions{ChunkSize: chunk, Workers: 2},
		Meta: &format.Meta{PID: 4242, Comm: "target", Host: format.Host{PageSize: pg}}, End: format.End{Complete: true}}
	for _, m := range regions {
		a.Regions = append(a.Regions, m.Region)
	}
	return a.Bytes(t)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// needYara skips a test where yara is not installed (CI installs it), or
// off Linux (memfds).
func needYara(t testing.TB) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("yara scans need Linux (memfd_create)")
	}
	proctest.NeedProgram(t, "yara", "yara")
	proctest.NeedProgram(t, "yarac", "yara")
}

func loadRules(t testing.TB, path string) *Rules {
	t.Helper()
	rs, err := Load(context.Background(), path)
	must(t, err)
	t.Cleanup(func() { rs.Close() })
	return rs
}

// scanAll collects every hit of a scan as "rule $id 0xaddr len" lines
// (a rule without strings: "rule - 0xrunstart 0").
func scanAll(t testing.TB, rs *Rules, srcs []Source, opts Options) ([]string, Result) {
	t.Helper()
	var got []string
	res, err := rs.Scan(context.Background(), srcs, opts, func(h Hit) error {
		got = append(got, hitLines(h)...)
		return nil
	})
	must(t, err)
	return got, res
}

func hitLines(h Hit) []string {
	name := h.Rule.Namespace + ":" + h.Rule.Name
	if len(h.Strings) == 0 {
		return []string{fmt.Sprintf("%s - %#x 0", name, h.Start)}
	}
	var out []string
	for _, s := range h.Strings {
		out = append(out, fmt.Sprintf("%s %s %#x %d", name, s.ID, s.Addr, s.Len))
	}
	return out
}

// yaraDirect runs `yara -s -L -e` on b written to a file (test data, not
// memory of a process) and returns its matches as hitLines does, at
// addresses base + offset.
func yaraDirect(t testing.TB, rules string, b []byte, base uint64) []string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "buf")
	must(t, os.WriteFile(f, b, 0o600))
	out, err := exec.Command("yara", "-s", "-L", "-e", rules, f).CombinedOutput()
	if err != nil {
		t.Fatalf("yara %s: %v\n%s", rules, err, out)
	}
	var got []string
	var rule string
	var rstrings int
	flush := func() {
		if rule != "" && rstrings == 0 {
			got = append(got, fmt.Sprintf("%s - %#x 0", rule, base))
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if off, n, id, ok := parseStringLine(line); ok {
			got = append(got, fmt.Sprintf("%s %s %#x %d", rule, id, base+off, n))
			rstrings++
			continue
		}
		flush()
		rule, rstrings = strings.TrimSuffix(line, " "+f), 0
	}
	flush()
	return got
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
