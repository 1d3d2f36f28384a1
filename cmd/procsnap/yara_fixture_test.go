package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// The archives of the yara verb's tests: regions described page by page,
// with markers for the rules of snapshot/yarascan/testdata/markers.yar
// planted at known addresses.

const yaraRules = "../../snapshot/yarascan/testdata/markers.yar"

const (
	yaraHeap = 0x7f3a00000000
	yaraLib  = 0x7f3b00000000
	yaraPage = 4096
)

// yaraRegion is a region: a layout of one letter a page (D data, z a zero
// page in a chunk, Z a zero fill, U unreadable, N not captured) and its
// bytes (random, never zero, on data pages; planted markers).
type yaraRegion struct {
	desc   format.RegionDesc
	layout string
	data   []byte
}

func newYaraRegion(index int, start uint64, perms, path, layout string) *yaraRegion {
	g := &yaraRegion{desc: format.RegionDesc{Index: index, Start: start, End: start + uint64(len(layout))*yaraPage,
		Perms: perms, Path: path}, layout: layout, data: make([]byte, len(layout)*yaraPage)}
	g.desc.MapsLine = fmt.Sprintf("%x-%x %s 00000000 00:00 0 %s", g.desc.Start, g.desc.End, perms, path)
	rng := rand.New(rand.NewPCG(start, 18))
	for i := range g.data {
		if layout[i/yaraPage] == 'D' {
			g.data[i] = byte(rng.UintN(255) + 1)
		}
	}
	return g
}

func (g *yaraRegion) put(at int, s string) { copy(g.data[at:], s) }

// runs are the region's runs of data pages, as [start, end) addresses.
func (g *yaraRegion) runs() [][2]uint64 {
	var out [][2]uint64
	for i := 0; i < len(g.layout); {
		j := i
		for j < len(g.layout) && g.layout[j] == 'D' {
			j++
		}
		if j > i {
			out = append(out, [2]uint64{g.desc.Start + uint64(i)*yaraPage, g.desc.Start + uint64(j)*yaraPage})
			i = j
			continue
		}
		i++
	}
	return out
}

// yaraFixture is the heap of the tests, cut into five runs by each kind of
// gap, and a library of one run:
//
//	heap: 0-3 run | 4 z | 5-6 run | 7 U | 8-9 run | 10-11 Z | 12-13 run | 14 N | 15-17 run
func yaraFixture() []*yaraRegion {
	heap := newYaraRegion(0, yaraHeap, "rw-p", "[heap]", "DDDDzDDUDDZZDDNDDD")
	heap.put(0x123, "PSYARA-TEXT-MARKER")
	heap.put(yaraPage-5, "PSYARA-RE-2026-fed") // across a page boundary
	heap.put(4*yaraPage-12, "PSYARA-GAP-A")    // the end of a run ...
	heap.put(5*yaraPage+8, "PSYARA-GAP-B")     // ... and the next one, across a zero page
	heap.put(8*yaraPage, "PSYARA-AT")          // a run's first bytes
	heap.put(12*yaraPage, "\x7fELF")           // a run that starts like an ELF file
	for i := range 3 {
		heap.put(15*yaraPage+0x40*i, "PSYARA-COUNT")
	}
	heap.put(18*yaraPage-12, "PSYARA-ANY-1") // the region's last bytes
	lib := newYaraRegion(1, yaraLib, "r-xp", "/usr/lib/libfoo.so.1", "DDDD")
	lib.put(0x200, "PSY\x99HEXab!A")
	lib.put(0x1800, "psyara-NOCASE-marker")
	return []*yaraRegion{heap, lib}
}

// writeYaraArchive writes the regions as an archive of process pid/comm.
func writeYaraArchive(t *testing.T, path string, pid int, comm string, regions []*yaraRegion) {
	t.Helper()
	var buf bytes.Buffer
	w, err := format.NewWriter(&buf, format.WriterOptions{ChunkSize: 16 << 10, Workers: 2})
	srchMust(t, err)
	srchMust(t, w.WriteMeta(&format.Meta{PID: pid, Comm: comm, Host: format.Host{PageSize: yaraPage}}))
	var maps strings.Builder
	for _, g := range regions {
		maps.WriteString(g.desc.MapsLine + "\n")
	}
	srchMust(t, w.WriteMaps([]byte(maps.String())))
	for _, g := range regions {
		srchMust(t, w.BeginRegion(g.desc))
		for i := 0; i < len(g.layout); {
			i = writeYaraPages(t, w, g, i)
		}
		srchMust(t, w.EndRegion(format.MethodVMReadv, ""))
	}
	srchMust(t, w.Close(format.End{Complete: true}))
	srchMust(t, os.WriteFile(path, buf.Bytes(), 0o600))
}

// writeYaraPages writes the pages from i that one Writer call takes.
func writeYaraPages(t *testing.T, w *format.Writer, g *yaraRegion, i int) int {
	data := func(c byte) bool { return c == 'D' || c == 'z' }
	j := i + 1
	for j < len(g.layout) && (g.layout[j] == g.layout[i] || data(g.layout[i]) && data(g.layout[j])) {
		j++
	}
	a, z := g.desc.Start+uint64(i)*yaraPage, g.desc.Start+uint64(j)*yaraPage
	var err error
	switch g.layout[i] {
	case 'D', 'z':
		err = w.WriteData(a, g.data[i*yaraPage:j*yaraPage])
	case 'Z':
		err = w.WriteFill(a, z, format.PageZero, 0)
	case 'U':
		err = w.WriteFill(a, z, format.PageUnreadable, 5)
	case 'N':
		err = w.WriteFill(a, z, format.PageNotCaptured, 0)
	}
	srchMust(t, err)
	return j
}

// needYaraProgram skips where yara is not installed (CI installs it).
func needYaraProgram(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("yara"); err != nil {
		t.Skip("yara is not installed (apt-get install yara)")
	}
}

// yaraOnFile runs `yara -s -L -e RULES FILE` and returns its matches as
// "namespace:rule $id 0xaddress length" (a rule without strings:
// "namespace:rule - 0xbase 0"), at base + yara's offset.
func yaraOnFile(t *testing.T, rules, file string, base uint64) []string {
	t.Helper()
	out, err := exec.Command("yara", "-s", "-L", "-e", rules, file).CombinedOutput()
	if err != nil {
		t.Fatalf("yara %s %s: %v\n%s", rules, file, err, out)
	}
	var got []string
	rule, n := "", 0
	flush := func() {
		if rule != "" && n == 0 {
			got = append(got, fmt.Sprintf("%s - %#x 0", rule, base))
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if m := yaraStringLine.FindStringSubmatch(line); m != nil {
			off, _ := strconv.ParseUint(m[1], 16, 64)
			got = append(got, fmt.Sprintf("%s %s %#x %s", rule, m[3], base+off, m[2]))
			n++
			continue
		}
		flush()
		rule, n = strings.TrimSuffix(line, " "+file), 0
	}
	flush()
	return got
}

var yaraStringLine = regexp.MustCompile(`^0x([0-9a-f]+):([0-9]+):(\$\w*): `)

// extractRange writes the archive's bytes START-END to a file with
// procsnap extract and returns its path.
func extractRange(t *testing.T, archive string, lo, hi uint64) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), fmt.Sprintf("%x-%x.bin", lo, hi))
	if code, _, stderr := offRun("extract", "--range", fmt.Sprintf("%#x-%#x", lo, hi), "-o", out, archive); code != 0 {
		t.Fatalf("extract %#x-%#x: exit %d: %s", lo, hi, code, stderr)
	}
	return out
}
