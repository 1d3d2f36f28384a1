package snapshot

import (
	"strings"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/procfs"
)

// regionPlan is what capture will do with one mapping.
type regionPlan struct {
	desc   format.RegionDesc
	runs   []run // cover [Start, End) in order; empty when skipped
	useMem bool  // read through /proc/PID/mem (no r permission)
}

// run is a page-aligned part of a region: read it, or record it as zero
// without reading (pagemap: never touched).
type run struct {
	start, end uint64
	zero       bool
}

// readBytes is how many bytes the plan reads.
func (p *regionPlan) readBytes() int64 {
	var n int64
	for _, r := range p.runs {
		if !r.zero {
			n += int64(r.end - r.start)
		}
	}
	return n
}

// makePlan decides, for every mapping, whether and how to read it.
func makePlan(pfs procfs.FS, pid int, maps []procfs.Mapping, pageSize int, includeUnreadable bool) []regionPlan {
	plans := make([]regionPlan, len(maps))
	pm, pmErr := pfs.OpenPagemap(pid, pageSize)
	if pmErr == nil {
		defer pm.Close()
	}
	entries := make([]procfs.PageEntry, 64<<10)
	for i, m := range maps {
		p := &plans[i]
		p.desc = format.RegionDesc{Index: i, Start: m.Start, End: m.End, Perms: m.Perms, Offset: m.Offset,
			DevMajor: m.DevMajor, DevMinor: m.DevMinor, Inode: m.Inode, Path: m.Path, MapsLine: m.Line}
		if reason := skipReason(pfs, pid, m, includeUnreadable); reason != "" {
			p.desc.Skip = reason
			continue
		}
		p.useMem = !m.Readable()
		if pmErr == nil && sparseCandidate(m) {
			if runs, err := pagemapRuns(pm, m, pageSize, entries); err == nil {
				p.runs = runs
				continue
			}
		}
		p.runs = []run{{start: m.Start, end: m.End}}
	}
	return plans
}

// skipReason says why a mapping is not read at all ("" to read it).
func skipReason(pfs procfs.FS, pid int, m procfs.Mapping, includeUnreadable bool) string {
	if !m.Readable() && !includeUnreadable {
		return "no read permission (capture it with --include-unreadable)"
	}
	if m.Kind() == procfs.KindFile && strings.HasPrefix(m.Path, "/dev/") && m.Inode != 0 {
		// A device mapping may be I/O memory, where a read has side
		// effects: look at its VmFlags (smaps is slow, so only here).
		flags, err := pfs.VmFlags(pid, m.Start)
		if err != nil {
			return "device mapping whose VmFlags could not be read: " + err.Error()
		}
		for _, f := range flags {
			switch f {
			case "io":
				return "device I/O memory (VmFlags io): reading it could have side effects"
			case "pf":
				return "raw page-frame mapping (VmFlags pf)"
			}
		}
	}
	return ""
}

// sparseCandidate: private anonymous memory, where a page that was never
// touched (neither present nor swapped) reads as zeros. This holds for
// PROT_NONE reservations too, read with --include-unreadable.
func sparseCandidate(m procfs.Mapping) bool {
	if m.Shared() || m.Inode != 0 {
		return false
	}
	switch m.Kind() {
	case procfs.KindAnon, procfs.KindHeap, procfs.KindStack:
		return true
	}
	return false
}

// pagemapRuns splits a mapping into runs to read and runs of untouched
// (zero) pages: with PAGEMAP_SCAN where the kernel has it (cost in
// proportion to the touched pages), else by reading every entry.
func pagemapRuns(pm *procfs.PagemapReader, m procfs.Mapping, pageSize int, entries []procfs.PageEntry) ([]run, error) {
	ps := uint64(pageSize)
	var runs []run
	add := func(a, b uint64, zero bool) {
		if n := len(runs); n > 0 && runs[n-1].zero == zero && runs[n-1].end == a {
			runs[n-1].end = b
			return
		}
		runs = append(runs, run{start: a, end: b, zero: zero})
	}
	at := m.Start
	err := pm.Touched(m.Start, m.End, func(a, b uint64) {
		if a > at {
			add(at, a, true)
		}
		add(a, b, false)
		at = b
	})
	if err == nil {
		if at < m.End {
			add(at, m.End, true)
		}
		return runs, nil
	}
	runs = nil
	for addr := m.Start; addr < m.End; {
		n := min(uint64(len(entries)), (m.End-addr)/ps)
		batch := entries[:n]
		if err := pm.ReadEntries(batch, addr); err != nil {
			return nil, err
		}
		for i, e := range batch {
			a := addr + uint64(i)*ps
			add(a, a+ps, !e.Present() && !e.Swapped())
		}
		addr += n * ps
	}
	return runs, nil
}
