package yarascan

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/procsnap/procsnap/format"
)

// Source is one archive to scan. Scan takes several; a capture set adds
// its members as sources.
type Source struct {
	Reader *format.Reader
	// Regions to scan; nil scans every region. They are scanned in order
	// of start address whatever their order here.
	Regions []*format.Region
}

// dataRun is a captured run of data: contiguous data pages of one region. Its
// bytes go into a memfd of exactly its size while its batch is scanned.
type dataRun struct {
	src        int
	r          *format.Reader
	g          *format.Region
	start, end uint64
	f          *os.File
}

func (u *dataRun) size() uint64 { return u.end - u.start }

// batch is the runs one yara process scans.
type batch struct {
	runs     []*dataRun
	bytes    uint64
	problems []Problem // chunks that could not be read, met while planning or filling it
	release  func()    // gives the batch's memory back to the budget
}

// close releases the batch's memfds and its memory budget.
func (b *batch) close() {
	for _, u := range b.runs {
		if u.f != nil {
			u.f.Close()
			u.f = nil
		}
	}
	if b.release != nil {
		b.release()
		b.release = nil
	}
}

// plan cuts the sources into runs, in order of source and address, and
// sends them in batches of at most opts.BatchRuns runs and about
// opts.BatchBytes bytes (a larger run is a batch of its own). Only chunk
// headers are read: page states say where runs end.
func plan(ctx context.Context, sources []Source, opts Options, out chan<- *batch) {
	defer close(out)
	b := &batch{}
	send := func() bool {
		if len(b.runs) == 0 && len(b.problems) == 0 {
			return true
		}
		select {
		case out <- b:
			b = &batch{}
			return true
		case <-ctx.Done():
			return false
		}
	}
	for i, src := range sources {
		for _, g := range sortedRegions(src) {
			ok := regionRuns(src.Reader, i, g, func(u *dataRun) bool {
				if len(b.runs) > 0 && (b.bytes+u.size() > opts.BatchBytes || len(b.runs) >= opts.BatchRuns) && !send() {
					return false
				}
				b.runs = append(b.runs, u)
				b.bytes += u.size()
				return true
			}, func(p Problem) { b.problems = append(b.problems, p) })
			if !ok {
				return
			}
		}
	}
	send()
}

// sortedRegions are the source's regions to scan, by start address, each once.
func sortedRegions(src Source) []*format.Region {
	gs := src.Regions
	if gs == nil {
		gs = src.Reader.Regions()
	}
	gs = slices.DeleteFunc(slices.Clone(gs), func(g *format.Region) bool { return g == nil })
	slices.SortStableFunc(gs, func(a, b *format.Region) int { return cmp.Compare(a.Desc.Start, b.Desc.Start) })
	return slices.Compact(gs)
}

// regionRuns hands emit the region's runs in address order (stopping when
// emit returns false) and bad the chunks whose header cannot be read,
// which end a run as an unreadable page does.
func regionRuns(r *format.Reader, src int, g *format.Region, emit func(*dataRun) bool, bad func(Problem)) bool {
	ps := uint64(r.PageSize())
	var cur *dataRun
	flush := func() bool {
		u := cur
		cur = nil
		return u == nil || emit(u)
	}
	for _, s := range g.Spans() {
		if !s.IsChunk() {
			if !flush() {
				return false
			}
			continue
		}
		info, err := r.ChunkInfo(g, s)
		if err != nil {
			bad(Problem{Source: src, Region: g.Desc.Index, Start: s.Start, End: s.End, Err: err})
			if !flush() {
				return false
			}
			continue
		}
		for k, st := range info.States {
			a := info.Start + uint64(k)*ps
			if st == format.PageData && cur != nil && cur.end == a {
				cur.end = a + ps
				continue
			}
			if !flush() {
				return false
			}
			if st == format.PageData {
				cur = &dataRun{src: src, r: r, g: g, start: a, end: a + ps}
			}
		}
	}
	return flush()
}

// Problem is a part of an archive that was not scanned (a damaged chunk),
// or something yara reported about a run.
type Problem struct {
	Source     int
	Region     int // -1: not one region's
	Start, End uint64
	Err        error
}

func (p Problem) Error() string {
	if p.Region < 0 {
		return p.Err.Error()
	}
	return fmt.Sprintf("region %d %#x-%#x: %v", p.Region, p.Start, p.End, p.Err)
}
