package main

// The base archives that the hostile archives are made from: two built
// with format.Writer (every page and region state, hostile stored paths)
// and a real capture of testdata/fault/target.c.

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

func faultText(n uint64, seed byte) []byte {
	b := bytes.Repeat([]byte(fmt.Sprintf("procsnap hostile archive %c: the quick brown fox. ", 'a'+seed%26)), int(n/40)+1)
	return b[:n]
}

func faultRandom(n uint64, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// faultBaseRegions are the regions of the Writer-built archives: every page
// state, every region state, and stored paths that are hostile.
func faultBaseRegions(hostile []string) []formattest.Region {
	const pg = 4096
	text := func(start uint64, perms, path string, pages int) formattest.Region {
		return formattest.Region{Desc: format.RegionDesc{Start: start, Perms: perms, Path: path},
			Layout: strings.Repeat("D", pages), Data: faultText(uint64(pages*pg), byte(start>>12))}
	}
	// The heap: random data, zero pages inside chunks, a zero fill, an
	// unreadable fill, text.
	heap := formattest.Region{Desc: format.RegionDesc{Start: 0x1000000, Perms: "rw-p", Path: "[heap]"},
		Layout: strings.Repeat("D", 16) + strings.Repeat("z", 16) + strings.Repeat("Z", 32) + strings.Repeat("U", 16) + strings.Repeat("D", 48),
		Data:   slices.Concat(faultRandom(16*pg, 0x1000000), make([]byte, 64*pg), faultText(48*pg, 3))}
	// The stack: 8 pages captured of 32, the rest left to EndRegion.
	stack := formattest.Region{Desc: format.RegionDesc{Start: 0x7ffff0000000, End: 0x7ffff0020000, Perms: "rw-p", Path: "[stack]"},
		Layout: strings.Repeat("D", 8), Data: faultText(8*pg, 9), Message: "the region vanished mid-capture"}
	regions := []formattest.Region{
		text(0x400000, "r-xp", "/usr/bin/target", 32),
		heap,
		{Desc: format.RegionDesc{Start: 0x7f0000200000, End: 0x7f0000210000, Perms: "---p", Skip: "no read permission (capture it with --include-unreadable)"}},
		stack,
	}
	at := uint64(0x7e0000000000)
	for _, p := range hostile {
		regions = append(regions, text(at, "rw-p", p, 8))
		at += 0x100000
	}
	slices.SortFunc(regions, func(a, b formattest.Region) int { return cmp.Compare(a.Desc.Start, b.Desc.Start) })
	return regions
}

// faultWriterArchive builds an archive with format.Writer: chunk size
// chunk, two threads with x86-64 register sets, the regions above; closed
// as complete or as interrupted.
func faultWriterArchive(t *testing.T, chunk int, complete bool, hostile []string) []byte {
	t.Helper()
	a := formattest.Archive{
		Options: format.WriterOptions{PageSize: 4096, ChunkSize: chunk, Workers: 1},
		Meta: &format.Meta{ToolVersion: "fault-test", PID: 4242, PPID: 1, Comm: "target", Cmdline: []string{"/usr/bin/target", "--serve"},
			Exe: "/usr/bin/target", Host: format.Host{Hostname: "evidence", Machine: "x86_64", PageSize: 4096, KernelRelease: "6.1.0"}},
		Auxv:    faultRandom(64, 1),
		Regions: faultBaseRegions(hostile),
		End:     format.End{Complete: complete},
	}
	for _, tid := range []int{4242, 4243} {
		a.Threads = append(a.Threads, format.Thread{TID: tid, RegSets: []format.RegSet{{Type: 1, Data: faultRandom(216, uint64(tid))}, {Type: 2, Data: faultRandom(512, 3)}}})
	}
	if !complete {
		a.End.Reason = "interrupted: interrupted by SIGINT"
	}
	return a.Bytes(t)
}

type faultBase struct {
	name string
	path string
	data []byte
}

// faultBases writes the base archives: two Writer-built (64 KiB chunks,
// complete; 4 KiB chunks, interrupted) and, with root, a real capture of
// the small C target.
func faultBases(t *testing.T, dir string, tools *faultTools) []faultBase {
	bases := []faultBase{
		{name: "writer-64k", data: faultWriterArchive(t, 64<<10, true, []string{"../../etc/passwd", "/etc/shadow"})},
		{name: "writer-4k-interrupted", data: faultWriterArchive(t, 4096, false, []string{"../../../outside/x"})},
	}
	if tools != nil {
		tg := startFaultTarget(t, *tools, "steady", 2, 1)
		path := filepath.Join(dir, "real.psnap")
		r := faultRunProcsnap(t, *tools, dir, faultHang, "capture", "--no-progress", "-q", "--chunk-size", "16KiB", "-o", path, strconv.Itoa(tg.PID))
		if r.code != 0 {
			t.Fatalf("capture the base archive: %s", r)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		bases = append(bases, faultBase{name: "real-capture", data: data})
		tg.End()
	}
	for i := range bases {
		bases[i].path = filepath.Join(dir, fmt.Sprintf("base%d.psnap", i))
		if err := os.WriteFile(bases[i].path, bases[i].data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return bases
}
