package elfcore

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/procsnap/procsnap/format"
)

// ErrUnsupportedMachine is wrapped by Plan's error for an archive captured
// on a machine other than x86-64.
var ErrUnsupportedMachine = errors.New("machine not supported yet")

// ZeroFillLimit bounds the bytes of zero fills in file-backed regions that
// are written out as zeros; beyond it they become p_filesz 0 segments. A
// fill costs the archive a few bytes whatever its size, so without a bound
// a small hostile archive could ask for an enormous core.
const ZeroFillLimit = 1 << 30

// zeroFillBudget is ZeroFillLimit; tests lower it.
var zeroFillBudget uint64 = ZeroFillLimit

// Core is a planned core file: every note, segment and offset, computed
// before anything is written.
type Core struct {
	r        *format.Reader
	pageSize uint64
	notes    []note
	segs     []segment
	xnum     bool   // e_phnum is PN_XNUM; the count is in section 0
	notesOff uint64 // offset of the PT_NOTE contents
	notesLen uint64
	dataOff  uint64 // offset of the first PT_LOAD contents (page-aligned)
	size     uint64 // the whole file
	sum      Summary
}

// segment is one PT_LOAD: a piece of one region, with its bytes in the file
// (data) or without (p_filesz 0).
type segment struct {
	region *format.Region
	vaddr  uint64
	memsz  uint64
	flags  uint32
	data   bool
	offset uint64
}

func (s segment) end() uint64 { return s.vaddr + s.memsz }

// Summary says what a planned core holds.
type Summary struct {
	Threads   int      // threads written (one NT_PRSTATUS each)
	Notes     int      // notes in PT_NOTE
	Segments  int      // PT_LOAD segments
	FileBytes uint64   // memory bytes stored in the core
	HoleBytes uint64   // memory bytes of p_filesz 0 segments: unreadable, not captured, zero fills
	Size      int64    // bytes of the core file
	XNum      bool     // 65535 or more program headers (PT_NOTE included): e_phnum is PN_XNUM
	Warnings  []string // what was left out or changed, and why
}

// Plan checks the archive and lays out its core file. It reads no region
// data; Write does.
func Plan(r *format.Reader) (*Core, error) {
	m := r.Meta()
	if m == nil {
		return nil, errors.New("the archive has no metadata record (cut off or damaged): cannot tell which machine it was captured on")
	}
	if m.Host.Machine != "x86_64" {
		return nil, fmt.Errorf("archive captured on machine %q: %w (export-core writes x86_64 cores only)", m.Host.Machine, ErrUnsupportedMachine)
	}
	c := &Core{r: r, pageSize: uint64(r.PageSize())}
	var warn warnings
	if !r.Complete() {
		warn.add("the archive is incomplete or damaged: what it lacks is in p_filesz 0 segments (run 'procsnap verify')")
	}
	regions := sortedRegions(r.Regions(), &warn)
	c.segs = planSegments(regions, &warn)
	xs := newXStateConv(m.XSaveLayout)
	threads := buildThreads(m.PID, m.PPID, r.Threads(), xs, &warn)
	xs.flush(&warn)
	c.notes = orderNotes(threads, processNotes(r, m, regions, c.pageSize, &warn))
	if err := c.layout(); err != nil {
		return nil, err
	}
	c.summarize(len(threads), warn.all())
	return c, nil
}

// processNotes are the notes for the whole process, in the kernel's order.
func processNotes(r *format.Reader, m *format.Meta, regions []*format.Region, pageSize uint64, warn *warnings) []note {
	out := []note{prpsinfo(m)}
	if n, ok := auxvNote(r.Auxv(), warn); ok {
		out = append(out, n)
	}
	if n, ok := fileNote(regions, pageSize, warn); ok {
		out = append(out, n)
	}
	return out
}

// sortedRegions returns the regions in address order and warns about
// overlaps, which only a damaged or forged archive has.
func sortedRegions(in []*format.Region, warn *warnings) []*format.Region {
	out := append([]*format.Region(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Desc.Start < out[j].Desc.Start })
	for i := 1; i < len(out); i++ {
		a, b := out[i-1].Desc, out[i].Desc
		if b.Start < a.End {
			warn.add("regions %d (%#x-%#x) and %d (%#x-%#x) overlap: their PT_LOADs overlap too", a.Index, a.Start, a.End, b.Index, b.Start, b.End)
		}
	}
	return out
}

// planSegments splits every region into PT_LOAD segments.
func planSegments(regions []*format.Region, warn *warnings) []segment {
	var segs []segment
	budget := zeroFillBudget
	for _, g := range regions {
		segs = planRegion(segs, g, &budget, warn)
	}
	return segs
}

// planRegion appends the segments of one region: runs of pages with bytes
// in the file (chunks, and zero fills of file-backed regions while the
// budget lasts) alternate with runs without (everything else).
func planRegion(segs []segment, g *format.Region, budget *uint64, warn *warnings) []segment {
	fb := fileBacked(g.Desc)
	flags := permFlags(g.Desc.Perms)
	first := len(segs)
	for _, s := range g.Spans() {
		data := s.IsChunk()
		if !data && fb && s.State == format.PageZero && !s.Missing {
			if n := s.End - s.Start; n <= *budget {
				data = true
				*budget -= n
			} else {
				warn.add("region %d: zero fill %#x-%#x is beyond the %d bytes of zero fills written out; gdb may read the mapped file there",
					g.Desc.Index, s.Start, s.End, zeroFillBudget)
			}
		}
		if k := len(segs) - 1; k >= first && segs[k].data == data && segs[k].vaddr+segs[k].memsz == s.Start {
			segs[k].memsz += s.End - s.Start
			continue
		}
		segs = append(segs, segment{region: g, vaddr: s.Start, memsz: s.End - s.Start, flags: flags, data: data})
	}
	return segs
}

// layout computes every offset: header, program headers, section 0 with
// PN_XNUM, notes, then the segments' bytes from a page boundary on.
func (c *Core) layout() error {
	phnum := uint64(len(c.segs)) + 1 // the PT_NOTE
	if phnum > maxPhnum {
		return fmt.Errorf("%d segments: more than an ELF core can count (%d)", phnum, uint64(maxPhnum))
	}
	c.xnum = phnum >= pnXNum
	off := ehdrSize + phnum*phdrSize
	if c.xnum {
		off += shdrSize
	}
	c.notesOff = off
	for _, n := range c.notes {
		c.notesLen += n.size()
	}
	off = alignUp(c.notesOff+c.notesLen, c.pageSize)
	c.dataOff = off
	for i := range c.segs {
		s := &c.segs[i]
		s.offset = off
		if !s.data {
			continue
		}
		if s.memsz > math.MaxInt64-off {
			return fmt.Errorf("the core would be larger than %d bytes (region %d at %#x)", int64(math.MaxInt64), s.region.Desc.Index, s.vaddr)
		}
		off += s.memsz
	}
	c.size = off
	return nil
}

func (c *Core) summarize(threads int, warns []string) {
	c.sum = Summary{Threads: threads, Notes: len(c.notes), Segments: len(c.segs), Size: int64(c.size), XNum: c.xnum, Warnings: warns}
	for _, s := range c.segs {
		if s.data {
			c.sum.FileBytes += s.memsz
		} else {
			c.sum.HoleBytes += s.memsz
		}
	}
}

// Summary says what the core holds; Size is exact before Write starts.
func (c *Core) Summary() Summary { return c.sum }
