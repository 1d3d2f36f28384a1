package main

// The base archives that the hostile archives are made from: two built
// with format.Writer (every page and region state, hostile stored paths)
// and a real capture of testdata/fault/target.c.

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// faultBaseRegions is the layout of the Writer-built archives: every page
// state, every region state, and stored paths that are hostile.
type faultBaseRegion struct {
	start, end uint64
	perms      string
	path       string
	skip       string
	build      func(aw *format.Writer, start, end uint64) error
	message    string
}

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

func faultBaseRegions(hostile []string) []faultBaseRegion {
	const pg = 4096
	data := func(aw *format.Writer, start, end uint64) error {
		return aw.WriteData(start, faultText(end-start, byte(start>>12)))
	}
	regions := []faultBaseRegion{
		{start: 0x400000, end: 0x420000, perms: "r-xp", path: "/usr/bin/target", build: data},
		{start: 0x1000000, end: 0x1080000, perms: "rw-p", path: "[heap]", build: func(aw *format.Writer, s, _ uint64) error {
			steps := []func() error{
				func() error { return aw.WriteData(s, faultRandom(16*pg, s)) },
				func() error { return aw.WriteData(s+16*pg, make([]byte, 16*pg)) }, // zero pages inside chunks
				func() error { return aw.WriteFill(s+32*pg, s+64*pg, format.PageZero, 0) },
				func() error { return aw.WriteFill(s+64*pg, s+80*pg, format.PageUnreadable, 5) },
				func() error { return aw.WriteData(s+80*pg, faultText(48*pg, 3)) },
			}
			for _, f := range steps {
				if err := f(); err != nil {
					return err
				}
			}
			return nil
		}},
		{start: 0x7f0000200000, end: 0x7f0000210000, perms: "---p", skip: "no read permission (capture it with --include-unreadable)"},
		{start: 0x7ffff0000000, end: 0x7ffff0020000, perms: "rw-p", path: "[stack]", message: "the region vanished mid-capture",
			build: func(aw *format.Writer, s, _ uint64) error { return aw.WriteData(s, faultText(8*pg, 9)) }},
	}
	at := uint64(0x7e0000000000)
	for _, p := range hostile {
		regions = append(regions, faultBaseRegion{start: at, end: at + 0x8000, perms: "rw-p", path: p, build: data})
		at += 0x100000
	}
	slices.SortFunc(regions, func(a, b faultBaseRegion) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	return regions
}

// faultWriterArchive builds an archive with format.Writer: chunk size
// chunk, two threads with x86-64 register sets, the regions above; closed
// as complete or as interrupted.
func faultWriterArchive(t *testing.T, chunk int, complete bool, hostile []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	aw, err := format.NewWriter(&buf, format.WriterOptions{PageSize: 4096, ChunkSize: chunk, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	regions := faultBaseRegions(hostile)
	var maps strings.Builder
	for _, g := range regions {
		fmt.Fprintf(&maps, "%x-%x %s 00000000 00:00 0 %s\n", g.start, g.end, g.perms, g.path)
	}
	meta := &format.Meta{ToolVersion: "fault-test", PID: 4242, PPID: 1, Comm: "target", Cmdline: []string{"/usr/bin/target", "--serve"},
		Exe: "/usr/bin/target", Host: format.Host{Hostname: "evidence", Machine: "x86_64", PageSize: 4096, KernelRelease: "6.1.0"}}
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(aw.WriteMeta(meta))
	check(aw.WriteMaps([]byte(maps.String())))
	check(aw.WriteAuxv(faultRandom(64, 1)))
	for _, tid := range []int{4242, 4243} {
		regs := faultRandom(216, uint64(tid))
		check(aw.WriteThread(format.Thread{TID: tid, RegSets: []format.RegSet{{Type: 1, Data: regs}, {Type: 2, Data: faultRandom(512, 3)}}}))
	}
	for i, g := range regions {
		check(aw.BeginRegion(format.RegionDesc{Index: i, Start: g.start, End: g.end, Perms: g.perms, Path: g.path, Skip: g.skip,
			MapsLine: fmt.Sprintf("%x-%x %s 00000000 00:00 0 %s", g.start, g.end, g.perms, g.path)}))
		if g.build != nil {
			check(g.build(aw, g.start, g.end))
		}
		check(aw.EndRegion(format.MethodVMReadv, g.message))
	}
	end := format.End{Complete: complete}
	if !complete {
		end.Reason = "interrupted: interrupted by SIGINT"
	}
	check(aw.Close(end))
	return buf.Bytes()
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
