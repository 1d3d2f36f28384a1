package main

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
	"github.com/procsnap/procsnap/internal/proctest"
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

// yaraRegion is a region: a layout (formattest's letters) and its bytes
// (random, never zero, on data pages; planted markers).
type yaraRegion struct{ formattest.Region }

func newYaraRegion(start uint64, perms, path, layout string) *yaraRegion {
	g := &yaraRegion{formattest.Region{Desc: format.RegionDesc{Start: start, End: start + uint64(len(layout))*yaraPage,
		Perms: perms, Path: path}, Layout: layout, Data: make([]byte, len(layout)*yaraPage)}}
	rng := rand.New(rand.NewPCG(start, 18))
	for i := range g.Data {
		if layout[i/yaraPage] == 'D' {
			g.Data[i] = byte(rng.UintN(255) + 1)
		}
	}
	return g
}

func (g *yaraRegion) put(at int, s string) { copy(g.Data[at:], s) }

// runs are the region's runs of data pages, as [start, end) addresses.
func (g *yaraRegion) runs() [][2]uint64 {
	var out [][2]uint64
	for _, r := range g.Runs('D') {
		out = append(out, [2]uint64{g.Desc.Start + uint64(r[0])*yaraPage, g.Desc.Start + uint64(r[1])*yaraPage})
	}
	return out
}

// yaraFixture is the heap of the tests, cut into five runs by each kind of
// gap, and a library of one run:
//
//	heap: 0-3 run | 4 z | 5-6 run | 7 U | 8-9 run | 10-11 Z | 12-13 run | 14 N | 15-17 run
func yaraFixture() []*yaraRegion {
	heap := newYaraRegion(yaraHeap, "rw-p", "[heap]", "DDDDzDDUDDZZDDNDDD")
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
	lib := newYaraRegion(yaraLib, "r-xp", "/usr/lib/libfoo.so.1", "DDDD")
	lib.put(0x200, "PSY\x99HEXab!A")
	lib.put(0x1800, "psyara-NOCASE-marker")
	return []*yaraRegion{heap, lib}
}

// writeYaraArchive writes the regions as an archive of process pid/comm.
func writeYaraArchive(t *testing.T, path string, pid int, comm string, regions []*yaraRegion) {
	t.Helper()
	a := formattest.Archive{Options: format.WriterOptions{ChunkSize: 16 << 10, Workers: 2}, End: format.End{Complete: true},
		Meta: &format.Meta{PID: pid, Comm: comm, Host: format.Host{PageSize: yaraPage}}}
	for _, g := range regions {
		a.Regions = append(a.Regions, g.Region)
	}
	a.WriteFile(t, path)
}

// needYaraProgram skips where yara is not installed (CI installs it).
func needYaraProgram(t *testing.T) {
	t.Helper()
	proctest.NeedProgram(t, "yara", "yara")
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
	if code, _, stderr := runCLI("extract", "--range", fmt.Sprintf("%#x-%#x", lo, hi), "-o", out, archive); code != 0 {
		t.Fatalf("extract %#x-%#x: exit %d: %s", lo, hi, code, stderr)
	}
	return out
}
