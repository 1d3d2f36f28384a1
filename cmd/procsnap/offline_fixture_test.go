package main

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

// Fixtures for the offline verbs: archives written with format.Writer from
// a fixed description, so outputs are stable enough for golden files.

const offPS = 4096

// Page kinds of a fixture region.
const (
	pgData       = iota // random bytes from seed
	pgText              // compressible text from seed
	pgZeroData          // zeros written as data (stored as a zero page)
	pgZeroFill          // a zero fill
	pgUnreadable        // an unreadable fill with errno
	pgNotCapt           // a not-captured fill
)

type offPage struct {
	kind  int
	seed  uint64
	errno uint32
}

type offRegion struct {
	start       uint64
	perms, path string
	offset      uint64
	inode       uint64
	skip        string
	message     string // EndRegion message
	pages       []offPage
	// stop > 0: only the first stop pages are written; EndRegion records
	// the rest as not captured.
	stop int
}

type offArchive struct {
	meta    *format.Meta
	threads []format.Thread
	regions []offRegion
	chunk   int
	end     format.End
}

func (g offRegion) end() uint64 { return g.start + uint64(len(g.pages))*offPS }

func (g offRegion) desc(i int) format.RegionDesc {
	d := format.RegionDesc{Index: i, Start: g.start, End: g.end(), Perms: g.perms, Offset: g.offset,
		Inode: g.inode, Path: g.path, Skip: g.skip}
	if g.inode != 0 {
		d.DevMajor, d.DevMinor = 8, 1
	}
	return d
}

// pageBytes is the content of a page (zeros for every page without data).
func (p offPage) bytes() []byte {
	b := make([]byte, offPS)
	switch p.kind {
	case pgData:
		rng := rand.New(rand.NewPCG(p.seed, 0x5eed))
		for i := 0; i < offPS; i += 8 {
			binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
		}
	case pgText:
		line := fmt.Sprintf("page %d: GET /index.html HTTP/1.1 user=admin session=%x\n", p.seed, p.seed*7919)
		copy(b, strings.Repeat(line, offPS/len(line)+1))
	}
	return b
}

// bytes is what extracting the whole region must give.
func (g offRegion) bytes() []byte {
	var b []byte
	for i, p := range g.pages {
		if g.skip != "" || (g.stop > 0 && i >= g.stop) {
			b = append(b, make([]byte, offPS)...)
			continue
		}
		b = append(b, p.bytes()...)
	}
	return b
}

// write writes the archive to path (unless "") and returns its bytes.
func (a offArchive) write(t testing.TB, path string) []byte {
	t.Helper()
	fa := formattest.Archive{Options: format.WriterOptions{ChunkSize: a.chunk, Workers: 2}, Meta: a.meta,
		Threads: a.threads, End: a.end}
	for i, g := range a.regions {
		fa.Regions = append(fa.Regions, g.region(t, i))
	}
	if path == "" {
		return fa.Bytes(t)
	}
	return fa.WriteFile(t, path)
}

// region is region i as formattest writes it: its first stop pages, if
// stop is set.
func (g offRegion) region(t testing.TB, i int) formattest.Region {
	n := len(g.pages)
	if g.stop > 0 {
		n = g.stop
	}
	r := formattest.Region{Desc: g.desc(i), Message: g.message, Data: make([]byte, n*offPS)}
	layout := make([]byte, n)
	for k, p := range g.pages[:n] {
		switch p.kind {
		case pgData, pgText:
			layout[k] = 'D'
			copy(r.Data[k*offPS:], p.bytes())
		case pgZeroData:
			layout[k] = 'z'
		case pgZeroFill:
			layout[k] = 'Z'
		case pgUnreadable:
			if layout[k] = formattest.Unreadable(p.errno); layout[k] == 0 {
				t.Fatalf("region %d page %d: errno %d, formattest writes EIO or EFAULT", i, k, p.errno)
			}
		case pgNotCapt:
			layout[k] = 'N'
		}
	}
	r.Layout = string(layout)
	return r
}

// prstatus builds an x86-64 NT_PRSTATUS register set with rip and rsp.
func prstatus(rip, rsp uint64) format.RegSet {
	b := make([]byte, 27*8)
	binary.LittleEndian.PutUint64(b[16*8:], rip)
	binary.LittleEndian.PutUint64(b[19*8:], rsp)
	return format.RegSet{Type: 1, Data: b}
}

func offPages(kind, n int, seed uint64) []offPage {
	out := make([]offPage, n)
	for i := range out {
		out[i] = offPage{kind: kind, seed: seed + uint64(i)}
	}
	return out
}

func cat(parts ...[]offPage) []offPage {
	var out []offPage
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// sampleArchive is the fixture behind the golden files: every page state,
// a skipped region, a partial region, three threads (one without
// NT_PRSTATUS) and hostile text in a path.
func sampleArchive() offArchive {
	meta := &format.Meta{
		ToolVersion: "1.0.0-test",
		Host: format.Host{Hostname: "lab-7", KernelRelease: "6.8.0-test", KernelVersion: "#1 SMP PREEMPT_DYNAMIC",
			Machine: "x86_64", BootID: "2b0c3a0e-5d7f-4e8e-9b3c-1f2e3d4c5b6a", PageSize: offPS},
		PID: 4242, PPID: 1, Comm: "demo", Cmdline: []string{"/usr/bin/demo", "--serve", "a b", "tab\there"},
		Exe: "/usr/bin/demo", ExeSHA256: strings.Repeat("ab", 32), UIDs: [4]int{1000, 1000, 1000, 1000},
		GIDs:            [4]int{100, 100, 100, 100},
		TargetStartTime: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		CaptureStart:    time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC),
		Note:            "case 2026-17",
	}
	heap := cat(offPages(pgText, 4, 10), offPages(pgData, 3, 20), offPages(pgZeroData, 1, 0), offPages(pgText, 1, 30),
		[]offPage{{kind: pgUnreadable, errno: 5}, {kind: pgUnreadable, errno: 5}}, offPages(pgData, 1, 40),
		offPages(pgZeroFill, 2, 0), offPages(pgText, 2, 50), []offPage{{kind: pgUnreadable, errno: 14}},
		offPages(pgData, 3, 60), offPages(pgText, 1, 70))
	return offArchive{
		meta: meta,
		threads: []format.Thread{
			{TID: 4242, RegSets: []format.RegSet{prstatus(0x401136, 0x7ffd00007f80), {Type: 2, Data: make([]byte, 512)}}},
			{TID: 4243, RegSets: []format.RegSet{prstatus(0x7f0000011234, 0x7f0000012e00)}},
			{TID: 4244, RegSets: []format.RegSet{{Type: 2, Data: make([]byte, 512)}}},
		},
		regions: []offRegion{
			{start: 0x400000, perms: "r-xp", path: "/usr/bin/demo", inode: 1234, pages: offPages(pgText, 2, 1)},
			{start: 0x600000, perms: "rw-p", path: "[heap]", pages: heap},
			{start: 0x7f0000000000, perms: "---p", skip: "no read permission", pages: make([]offPage, 4)},
			{start: 0x7f0000010000, perms: "rw-s", path: "/tmp/shared file (deleted)", inode: 99, pages: offPages(pgData, 3, 80)},
			{start: 0x7ffd00000000, perms: "rw-p", path: "[stack]", pages: offPages(pgText, 8, 90), stop: 5,
				message: "the region shrank during the capture"},
			{start: 0x7ffd10000000, perms: "r--p", path: "/tmp/evil\x1b[31mred\u202e", inode: 7, pages: offPages(pgText, 1, 99)},
		},
		chunk: 16 << 10,
		end: format.End{Complete: true, Finished: time.Date(2026, 3, 1, 12, 0, 1, 500000000, time.UTC),
			FrozenNS: 12345678},
	}
}

// writeSample writes the sample archive into a new temporary directory.
func writeSample(t *testing.T) (string, offArchive, []byte) {
	t.Helper()
	a := sampleArchive()
	path := filepath.Join(t.TempDir(), "sample.psnap")
	return path, a, a.write(t, path)
}
