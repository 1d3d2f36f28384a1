package yarascan

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format/formattest"
)

const (
	heapBase = 0x10000000
	libBase  = 0x7f0000000000
)

// markerRegions is the fixture of the scan tests: a heap whose runs are
// cut by each kind of gap (a zero page in a chunk, an unreadable page, a
// zero fill, a not-captured page), with markers planted inside runs, across
// page and chunk boundaries, at run starts and ends, and in pairs across
// every gap; and a library region of one run.
//
//	heap pages: 0-5 run A | 6 z | 7-9 run B | 10 U | 11-12 run C | 13-14 Z | 15-18 run D | 19 N | 20-27 run E
func markerRegions(t testing.TB) []*memRegion {
	heap := newRegion(0, heapBase, "[heap]", "DDDDDDzDDDUDDZZDDDDNDDDDDDDD")
	at := func(page int, off int) uint64 { return heapBase + uint64(page*pg+off) }
	p := func(addr uint64, s string) { heap.put(t, addr, []byte(s)) }
	p(at(0, 0x123), "PSYARA-TEXT-MARKER")
	p(at(1, -7), "PSYARA-RE-1234-abc")   // across a page boundary
	p(at(4, -5), "PsYaRa-NoCase-Marker") // across a chunk boundary (16 KiB chunks)
	p(at(0, 0x3000), "PSYARA-IN")        // outside 0x1000..0x2000 of run A
	p(at(0, 0x400), "PSYARA-COUNT")      // twice in run A: #c > 2 fails
	p(at(0, 0x500), "PSYARA-COUNT")
	p(at(6, -12), "PSYARA-GAP-A")    // run A's last bytes ...
	p(at(7, 16), "PSYARA-GAP-B")     // ... run B, after the zero page
	p(at(8, 0x10), "xfullwordmarkx") // not a full word
	p(at(10, -12), "PSYARA-GAP-A")   // run B's end, across the unreadable page
	p(at(11, 0), "PSYARA-AT")        // run C's first byte
	p(at(11, 16), "PSYARA-GAP-B")
	p(at(13, -12), "PSYARA-GAP-A") // run C's end, across the zero fill
	p(at(15, 0), "\x7fELF")        // run D starts like an ELF file
	p(at(15, 16), "PSYARA-GAP-B")
	p(at(19, -12), "PSYARA-GAP-A") // run D's end, across the not-captured page
	p(at(20, 16), "PSYARA-GAP-B")
	p(at(20, 0x1800), "PSYARA-IN") // inside 0x1000..0x2000 of run E
	p(at(20, 0x2801), "P\x00S\x00Y\x00A\x00R\x00A\x00-\x00W\x00I\x00D\x00E\x00")
	p(at(21, 0x100), " fullwordmark ")
	for i := range 3 {
		p(at(22, 0x40*i), "PSYARA-COUNT")
	}
	p(at(28, -12), "PSYARA-ANY-1") // run E's (and the region's) last bytes
	lib := newRegion(1, libBase, "/usr/lib/libfoo.so", "DDDDDDDD")
	lib.Desc.Perms = "r-xp"
	lib.put(t, libBase+0x200, []byte("PSY\x99HEXabc!B"))
	lib.put(t, libBase+0x2000, []byte("PSYARA-GAP-A"))
	lib.put(t, libBase+0x2000+5000, []byte("PSYARA-GAP-B")) // a pair inside one run: found
	lib.put(t, libBase+0x7000, []byte("PSYARA-ANY-2"))
	return []*memRegion{heap, lib}
}

// markerHits are the hits the fixture must give, and no other hits of
// these rules: every Gap pair across a gap of the heap must not match.
func markerHits() []string {
	at := func(page int, off int) uint64 { return heapBase + uint64(page*pg+off) }
	line := func(rule, id string, addr uint64, n int) string {
		return "default:" + rule + " " + id + " " + hex(addr) + " " + itoa(n)
	}
	return []string{
		line("TextPlain", "$a", at(0, 0x123), 18),
		line("Regex", "$r", at(1, -7), 18),
		line("TextNocase", "$a", at(4, -5), 20),
		line("AtStart", "$s", at(11, 0), 9),
		"default:ElfMagic - " + hex(at(15, 0)) + " 0",
		line("InRange", "$i", at(20, 0x1800), 9),
		line("TextWide", "$w", at(20, 0x2801), 22),
		line("TextFullword", "$f", at(21, 0x101), 12),
		line("CountMore", "$c", at(22, 0), 12),
		line("CountMore", "$c", at(22, 0x40), 12),
		line("CountMore", "$c", at(22, 0x80), 12),
		line("AnyOf", "$x1", at(28, -12), 12),
		line("HexWild", "$h", libBase+0x200, 12),
		line("Gap", "$g", libBase+0x2000, 512), // 5012 bytes: yara reports at most 512
		line("AnyOf", "$x2", libBase+0x7000, 12),
	}
}

// TestScanMarkers: every planted marker is found at its address, nothing
// else is, and the hits are exactly those of yara -s run directly on each
// run's bytes, offsets mapped to the same addresses, whatever the batches,
// pieces and threads.
func TestScanMarkers(t *testing.T) {
	needYara(t)
	regions := markerRegions(t)
	r := formattest.Open(t, writeArchive(t, 16<<10, regions...))
	rs := loadRules(t, "testdata/markers.yar")
	var direct []string
	var bytes uint64
	for _, m := range regions {
		for _, s := range m.runs() {
			direct = append(direct, yaraDirect(t, "testdata/markers.yar", s.b, s.start)...)
			bytes += s.end - s.start
		}
	}
	if got, want := sorted(direct), sorted(markerHits()); !slices.Equal(got, want) {
		t.Fatalf("yara on the runs found\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range []struct {
		name  string
		opts  Options
		piece uint64
	}{
		{"default", Options{}, 0},
		{"one run a batch", Options{BatchRuns: 1, Threads: 1}, 0},
		{"small batches and pieces", Options{BatchRuns: 2, BatchBytes: 8 << 10, Workers: 3}, 8 << 10},
		{"memory for one run at a time", Options{BatchRuns: 1, Memory: 1, Procs: 3}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.piece > 0 {
				withPieceBytes(t, c.piece)
			}
			got, res := scanAll(t, rs, []Source{{Reader: r}}, c.opts)
			if !slices.Equal(sorted(got), sorted(direct)) {
				t.Errorf("scan found\n%s\nyara on the runs\n%s", strings.Join(sorted(got), "\n"), strings.Join(sorted(direct), "\n"))
			}
			if sc := res.Scanned[0]; sc.Runs != 6 || sc.Bytes != bytes || len(res.Problems) != 0 || res.Hits != 13 {
				t.Errorf("scanned %+v, %d hits, problems %v; want 6 runs, %d bytes, 13 hits", sc, res.Hits, res.Problems, bytes)
			}
		})
	}
}

// TestGapPairsMatchWithZeros checks the fixture: yara on the heap's bytes
// with its gaps as zeros (what extract writes) does match the Gap pairs,
// so the scan's not matching them is the runs' doing.
func TestGapPairsMatchWithZeros(t *testing.T) {
	needYara(t)
	heap := markerRegions(t)[0]
	n := 0
	for _, l := range yaraDirect(t, "testdata/markers.yar", heap.Data, heapBase) {
		if strings.HasPrefix(l, "default:Gap ") {
			n++
		}
	}
	if n != 4 {
		t.Errorf("yara on the whole heap: %d Gap matches, want the 4 pairs across gaps", n)
	}
}

func withPieceBytes(t *testing.T, n uint64) {
	old := pieceBytes
	pieceBytes = n
	t.Cleanup(func() { pieceBytes = old })
}

func hex(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }
func itoa(n int) string   { return strconv.Itoa(n) }
