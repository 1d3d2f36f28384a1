package yarascan

import (
	"bytes"
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
)

const pg = 4096

// memRegion is a region to write into a test archive: its bytes and a
// layout, one letter a page: D data (random bytes unless planted), z a
// zero page inside a chunk, Z a zero fill, U unreadable, N not captured.
type memRegion struct {
	desc   format.RegionDesc
	data   []byte
	layout string
}

func newRegion(index int, start uint64, path, layout string) *memRegion {
	m := &memRegion{
		desc:   format.RegionDesc{Index: index, Start: start, End: start + uint64(len(layout)*pg), Perms: "rw-p", Path: path},
		data:   make([]byte, len(layout)*pg),
		layout: layout,
	}
	rng := rand.New(rand.NewPCG(uint64(index), start))
	for i, c := range layout {
		if c == 'D' {
			for k := i * pg; k < (i+1)*pg; k++ {
				m.data[k] = byte(rng.UintN(255) + 1)
			}
		}
	}
	return m
}

// put plants b at addr; it may only touch D pages.
func (m *memRegion) put(t testing.TB, addr uint64, b []byte) {
	t.Helper()
	off := int(addr - m.desc.Start)
	for p := off / pg; p <= (off+len(b)-1)/pg; p++ {
		if m.layout[p] != 'D' {
			t.Fatalf("planting %q at %#x touches page %d (%c)", b, addr, p, m.layout[p])
		}
	}
	copy(m.data[off:], b)
}

// seg is a run of data pages: what Scan must hand yara as one buffer.
type seg struct {
	region     int
	start, end uint64
	b          []byte
}

func (m *memRegion) runs() []seg {
	var out []seg
	for i := 0; i < len(m.layout); {
		j := i
		for j < len(m.layout) && m.layout[j] == 'D' {
			j++
		}
		if j > i {
			out = append(out, seg{m.desc.Index, m.desc.Start + uint64(i*pg), m.desc.Start + uint64(j*pg), m.data[i*pg : j*pg]})
			i = j
			continue
		}
		i++
	}
	return out
}

// writeArchive writes the regions into an archive in memory.
func writeArchive(t testing.TB, chunk int, regions ...*memRegion) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := format.NewWriter(&buf, format.WriterOptions{ChunkSize: chunk, Workers: 2})
	must(t, err)
	must(t, w.WriteMeta(&format.Meta{PID: 4242, Comm: "target", Host: format.Host{PageSize: pg}}))
	var maps strings.Builder
	for _, m := range regions {
		fmt.Fprintf(&maps, "%x-%x %s 00000000 00:00 0 %s\n", m.desc.Start, m.desc.End, m.desc.Perms, m.desc.Path)
	}
	must(t, w.WriteMaps([]byte(maps.String())))
	for _, m := range regions {
		must(t, w.BeginRegion(m.desc))
		for i := 0; i < len(m.layout); {
			i = writePages(t, w, m, i)
		}
		must(t, w.EndRegion(format.MethodVMReadv, ""))
	}
	must(t, w.Close(format.End{Complete: true}))
	return buf.Bytes()
}

// writePages writes the pages from i that one Writer call takes and
// returns the next page.
func writePages(t testing.TB, w *format.Writer, m *memRegion, i int) int {
	addr := m.desc.Start + uint64(i*pg)
	j := i + 1
	for j < len(m.layout) && (m.layout[j] == m.layout[i] || strings.ContainsRune("Dz", rune(m.layout[j])) && strings.ContainsRune("Dz", rune(m.layout[i]))) {
		j++
	}
	end := m.desc.Start + uint64(j*pg)
	var err error
	switch m.layout[i] {
	case 'D', 'z':
		err = w.WriteData(addr, m.data[i*pg:j*pg])
	case 'Z':
		err = w.WriteFill(addr, end, format.PageZero, 0)
	case 'U':
		err = w.WriteFill(addr, end, format.PageUnreadable, 5)
	case 'N':
		err = w.WriteFill(addr, end, format.PageNotCaptured, 0)
	}
	must(t, err)
	return j
}

func openBytes(t testing.TB, b []byte) *format.Reader {
	t.Helper()
	r, err := format.NewReader(bytes.NewReader(b), int64(len(b)))
	must(t, err)
	return r
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
	if _, err := exec.LookPath("yara"); err != nil {
		t.Skip("yara is not installed (apt-get install yara)")
	}
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
