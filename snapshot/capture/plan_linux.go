package capture

import (
	"fmt"
	"strings"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/procfs"
)

// regionPlan is what capture will do with one mapping.
type regionPlan struct {
	desc   format.RegionDesc
	runs   []planRun // cover [Start, End) in order; empty when skipped
	useMem bool      // read through /proc/PID/mem (no r permission)
	// privateAnon: private anonymous memory, whose writes only the process
	// (and the kernel on its behalf) make.
	privateAnon bool
	// file is the object behind a shared mapping, opened through
	// map_files: its runKindFile runs are read from it at file offset
	// desc.Offset + (address - desc.Start). Close it with closePlans.
	file *procfs.MapFile
}

// runKind says how a run's pages are captured.
type runKind uint8

const (
	runRead runKind = iota // read through the target's memory
	runZero                // never touched or a hole: recorded as zero, not read
	runFile                // read from the shared object's file, not through the target's page tables
)

// planRun is a page-aligned part of a region in a plan.
type planRun struct {
	start, end uint64
	kind       runKind
}

// readBytes is how many bytes the plan reads.
func (p *regionPlan) readBytes() int64 {
	var n int64
	for _, r := range p.runs {
		if r.kind != runZero {
			n += int64(r.end - r.start)
		}
	}
	return n
}

// closePlans closes the files the plans opened.
func closePlans(plans []regionPlan) {
	for i := range plans {
		if f := plans[i].file; f != nil {
			f.Close()
			plans[i].file = nil
		}
	}
}

// makePlan decides, for every mapping, whether and how to read it. The
// caller closes the plans with closePlans.
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
		p.privateAnon = sparseCandidate(m)
		switch {
		case sharedObject(m):
			p.file, p.runs = fileRuns(pfs, pid, m, pageSize)
		case pmErr == nil && sparseCandidate(m):
			p.runs = pagemapRuns(pm, m, pageSize, entries)
		}
		if p.runs == nil {
			p.runs = []planRun{{start: m.Start, end: m.End}}
		}
	}
	return plans
}

// skipReason says why a mapping is not read at all ("" to read it).
func skipReason(pfs procfs.FS, pid int, m procfs.Mapping, includeUnreadable bool) string {
	if !m.Readable() && !includeUnreadable {
		if m.Path == "[vsyscall]" {
			// Execute-only, emulated by the kernel: /proc/PID/mem fails with EIO.
			return "no read permission (the kernel's vsyscall page: it holds no process data, and no read can get it, not even with --include-unreadable)"
		}
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

// sharedObject: a readable shared mapping of a file, including shared
// anonymous memory (/dev/zero (deleted)), memfd and SysV segments, which
// live in shmem. Reading an untouched page of it through the mapping
// would allocate it in the target (RssShmem grows); its file shows the
// holes, and reading the file leaves the target's page tables alone.
func sharedObject(m procfs.Mapping) bool {
	return m.Shared() && m.Readable() && m.Inode != 0 && m.Kind() == procfs.KindFile
}

// fileRuns plans a shared mapping from its file: holes are zero runs,
// data is read from the file. Pages beyond the file's last whole page are
// read through the mapping (where the kernel reports a fault for what is
// past the end). Without map_files (no CAP_SYS_ADMIN) it returns nil runs
// and the mapping is read through the target's memory.
func fileRuns(pfs procfs.FS, pid int, m procfs.Mapping, pageSize int) (*procfs.MapFile, []planRun) {
	f, err := pfs.OpenMapFile(pid, m)
	if err != nil {
		return nil, nil
	}
	ps := uint64(pageSize)
	whole := uint64(f.Size()) / ps * ps // the file's whole pages
	inFile := m.Start                   // the mapping's pages inside them end here
	if m.Offset < whole {
		inFile = min(m.End, m.Start+(whole-m.Offset))
	}
	// A page that is partly data is read: data rounds outward, holes inward.
	var b runBuilder
	err = f.Extents(int64(m.Offset), int64(m.Offset+(inFile-m.Start)), func(a, e int64, data bool) {
		lo, hi := uint64(a)-m.Offset+m.Start, uint64(e)-m.Offset+m.Start
		if data {
			b.add(max(lo/ps*ps, b.at(m.Start)), (hi+ps-1)/ps*ps, runFile)
		} else {
			b.add(max((lo+ps-1)/ps*ps, b.at(m.Start)), hi/ps*ps, runZero)
		}
	})
	b.add(b.at(m.Start), m.End, runRead)
	if err == nil {
		err = checkRuns(m, b.runs, pageSize)
	}
	if err != nil {
		f.Close()
		return nil, nil
	}
	return f, b.runs
}

// pagemapRuns splits a mapping into runs to read and runs of untouched
// (zero) pages: with PAGEMAP_SCAN where the kernel has it (cost in
// proportion to the touched pages), else by reading every entry. It
// returns nil if neither gives runs that pass checkRuns.
func pagemapRuns(pm *procfs.PagemapReader, m procfs.Mapping, pageSize int, entries []procfs.PageEntry) []planRun {
	var b runBuilder
	at := m.Start
	err := pm.Touched(m.Start, m.End, func(a, e uint64) {
		if a > at {
			b.add(at, a, runZero)
		}
		b.add(a, e, runRead)
		at = e
	})
	if err == nil {
		b.add(at, m.End, runZero)
		if checkRuns(m, b.runs, pageSize) == nil {
			return b.runs
		}
	}
	b = runBuilder{}
	ps := uint64(pageSize)
	for addr := m.Start; addr < m.End; {
		n := min(uint64(len(entries)), (m.End-addr)/ps)
		batch := entries[:n]
		if err := pm.ReadEntries(batch, addr); err != nil {
			return nil
		}
		for i, e := range batch {
			kind := runRead
			if !e.Present() && !e.Swapped() {
				kind = runZero
			}
			a := addr + uint64(i)*ps
			b.add(a, a+ps, kind)
		}
		addr += n * ps
	}
	if checkRuns(m, b.runs, pageSize) != nil {
		return nil
	}
	return b.runs
}

// runBuilder appends runs, merging one into the last when they touch and
// are of the same kind. Empty runs are dropped.
type runBuilder struct{ runs []planRun }

func (b *runBuilder) add(a, e uint64, kind runKind) {
	if e <= a {
		return
	}
	if n := len(b.runs); n > 0 && b.runs[n-1].kind == kind && b.runs[n-1].end == a {
		b.runs[n-1].end = e
		return
	}
	b.runs = append(b.runs, planRun{start: a, end: e, kind: kind})
}

// at is where the next run must start.
func (b *runBuilder) at(start uint64) uint64 {
	if n := len(b.runs); n > 0 {
		return b.runs[n-1].end
	}
	return start
}

// checkRuns checks a plan's runs against the invariant the archive writer
// enforces (format.CheckRun), and that they cover the whole mapping.
func checkRuns(m procfs.Mapping, runs []planRun, pageSize int) error {
	d := format.RegionDesc{Start: m.Start, End: m.End}
	at := m.Start
	for _, r := range runs {
		if r.end == r.start {
			return fmt.Errorf("empty run at %#x: %w", r.start, format.ErrRunOrder)
		}
		if err := format.CheckRun(d, at, r.start, r.end, pageSize); err != nil {
			return err
		}
		at = r.end
	}
	if at != m.End {
		return fmt.Errorf("runs end at %#x, before the mapping's end %#x: %w", at, m.End, format.ErrRunOrder)
	}
	return nil
}
