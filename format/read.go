package format

import (
	"encoding/binary"
	"fmt"
	"sort"
)

// Span is a run of a region's pages stored one way: a chunk (State
// PageData: its pages are data or zero), a fill (zero, unreadable with
// Errno, or not captured), or a gap no record covers (Missing: cut off or
// damaged, State PageNotCaptured).
type Span struct {
	Start, End  uint64
	State       PageState
	Errno       uint32
	Missing     bool
	chunk       bool
	off, length int64
	// Where the record comes from: a span may show part of a chunk (a
	// pre-copy chunk some of whose pages changed before the freeze).
	cStart, cEnd uint64     // the chunk record's own pages
	rec          int        // the record's region index
	pre          bool       // a pre-copy record
	head         *chunkHead // kept by ReadStream for a region without a footer
}

// Precopied reports whether the span's record was written by the
// pre-copy (its pages did not change before the freeze).
func (s Span) Precopied() bool { return s.pre }

// IsChunk reports whether the span is stored as a chunk.
func (s Span) IsChunk() bool { return s.chunk }

// Offset is the archive offset of the span's record (0 for a gap).
func (s Span) Offset() int64 { return s.off }

// Run is a piece of a region handed out by ReadRange: Data holds the bytes
// for data and zero pages of a chunk and is nil for everything else. Data
// is freshly allocated for each chunk and never reused: callers may keep it.
type Run struct {
	Start, End uint64
	State      PageState
	Errno      uint32
	Missing    bool
	Data       []byte
}

// Accessors for what the archive holds.
func (r *Reader) Meta() *Meta               { return r.meta }
func (r *Reader) Maps() []byte              { return r.maps }
func (r *Reader) Auxv() []byte              { return r.auxv }
func (r *Reader) Threads() []Thread         { return r.threads }
func (r *Reader) Regions() []*Region        { return r.regions }
func (r *Reader) End() *End                 { return r.end }
func (r *Reader) PageSize() int             { return int(r.hdr.PageSize) }
func (r *Reader) ChunkSize() int            { return int(r.hdr.ChunkSize) }
func (r *Reader) Size() int64               { return r.size }
func (r *Reader) Version() (int, int)       { return int(r.hdr.Major), int(r.hdr.Minor) }
func (r *Reader) HasTrailer() bool          { return r.trailer != nil }
func (r *Reader) Problems() []*CorruptError { return r.problems }

// Recovered says why the archive was read by scanning rather than through
// its index ("" when the index was used).
func (r *Reader) Recovered() string { return r.recovered }

// Complete reports whether the capture finished: an end record that says
// so, a trailer, every region footed, and no damage found while opening.
func (r *Reader) Complete() bool {
	if r.end == nil || !r.end.Complete || r.trailer == nil || len(r.problems) > 0 || r.inconsistent != "" {
		return false
	}
	for _, g := range r.regions {
		if g.Footer == nil {
			return false
		}
	}
	return true
}

// Region returns the region with the given index, or nil.
func (r *Reader) Region(index int) *Region { return r.byIndex[index] }

// Spans returns the region's spans in address order, covering it from
// Start to End: gaps no record covers come back as Missing spans. The
// slice is shared: do not modify it.
func (g *Region) Spans() []Span { return g.all }

// computeSpans fills the gaps between the stored spans.
func (g *Region) computeSpans() []Span {
	out := make([]Span, 0, len(g.spans)+2)
	at := g.Desc.Start
	for _, s := range g.spans {
		if s.Start > at {
			out = append(out, Span{Start: at, End: s.Start, State: PageNotCaptured, Missing: g.Desc.Skip == ""})
		}
		out = append(out, s)
		at = s.End
	}
	if at < g.Desc.End {
		out = append(out, Span{Start: at, End: g.Desc.End, State: PageNotCaptured, Missing: g.Desc.Skip == ""})
	}
	return out
}

// Find returns the region containing addr, or nil.
func (r *Reader) Find(addr uint64) *Region {
	for _, g := range r.regions {
		if addr >= g.Desc.Start && addr < g.Desc.End {
			return g
		}
	}
	return nil
}

// ChunkInfo is a chunk's header: per-page states and hashes.
type ChunkInfo struct {
	Start  uint64
	States []PageState
	Hashes []uint64
}

// ChunkInfo reads only the header of a chunk span: page states and hashes
// of the span's pages, without decompressing anything.
func (r *Reader) ChunkInfo(g *Region, s Span) (ChunkInfo, error) {
	h, err := r.chunkHead(g, s)
	if err != nil {
		return ChunkInfo{}, err
	}
	h = h.clip(s, uint64(r.hdr.PageSize))
	return ChunkInfo{Start: h.Start, States: h.States, Hashes: h.Hashes}, nil
}

func (r *Reader) chunkHead(g *Region, s Span) (chunkHead, error) {
	if !s.chunk {
		return chunkHead{}, fmt.Errorf("span %#x-%#x is not a chunk", s.Start, s.End)
	}
	if s.head != nil {
		return *s.head, nil
	}
	n := int((s.cEnd - s.cStart) / uint64(r.hdr.PageSize))
	hl := int64(chunkHeadLen(n))
	if recHeaderLen+hl > s.length {
		return chunkHead{}, corruptf(s.off, g.Desc.Index, "chunk record of %d bytes is too short for %d pages", s.length, n)
	}
	buf := make([]byte, recHeaderLen+hl)
	if err := r.readFull(buf, s.off); err != nil {
		return chunkHead{}, err
	}
	if err := checkChunkType(buf, s); err != nil {
		return chunkHead{}, err
	}
	return r.checkChunkHead(g, s, buf[recHeaderLen:])
}

// checkChunkType checks that a record is the kind of chunk the span says.
func checkChunkType(rec []byte, s Span) error {
	want := recChunk
	if s.pre {
		want = recPrecopyChunk
	}
	if got := recType(binary.LittleEndian.Uint16(rec[4:])); got != want {
		return corruptf(s.off, s.rec, "%s found where the index has a %s", got, want)
	}
	return nil
}

func (r *Reader) checkChunkHead(g *Region, s Span, p []byte) (chunkHead, error) {
	h, err := parseChunkHead(p, int(r.hdr.PageSize), int(r.hdr.ChunkSize))
	if err != nil {
		return h, corruptf(s.off, g.Desc.Index, "chunk at %#x: %v", s.Start, err)
	}
	end := h.Start + uint64(len(h.States))*uint64(r.hdr.PageSize)
	if h.Region != s.rec || h.Start != s.cStart || end != s.cEnd {
		return h, corruptf(s.off, g.Desc.Index, "chunk says region %d %#x-%#x, index says region %d %#x-%#x",
			h.Region, h.Start, end, s.rec, s.cStart, s.cEnd)
	}
	return h, nil
}

// chunkData reads, checks and decodes a whole chunk: the record checksum,
// the header, the decompressed size and every page hash. It returns the
// chunk's full contents, or with expand false only its data pages. With a
// buffer, the record and the contents go into its slices (grown as needed)
// instead of new ones.
func (r *Reader) chunkData(g *Region, s Span, expand bool, buf *ReadBuffer) (chunkHead, []byte, error) {
	var rec, dst []byte
	if buf != nil {
		if int64(cap(buf.rec)) < s.length {
			buf.rec = make([]byte, s.length)
		}
		rec, dst = buf.rec[:s.length], buf.data
	} else {
		rec = make([]byte, s.length)
	}
	if err := r.readFull(rec, s.off); err != nil {
		return chunkHead{}, nil, err
	}
	if err := checkSum(rec); err != nil {
		return chunkHead{}, nil, corruptf(s.off, g.Desc.Index, "chunk at %#x: %v", s.cStart, err)
	}
	if err := checkChunkType(rec, s); err != nil {
		return chunkHead{}, nil, err
	}
	p := rec[recHeaderLen : len(rec)-recSumLen]
	h, err := r.checkChunkHead(g, s, p)
	if err != nil {
		return h, nil, err
	}
	data, err := chunkBytes(h, p[chunkHeadLen(len(h.States)):], int(r.hdr.PageSize), r.zdec, expand, dst)
	if err != nil {
		return h, nil, corruptf(s.off, g.Desc.Index, "chunk at %#x: %v", s.cStart, err)
	}
	if buf != nil {
		buf.data = data[:cap(data)]
	}
	return h, data, nil
}

// ReadRange hands fn the region's contents over [start, end) in address
// order, decompressing only the chunks the range touches.
func (r *Reader) ReadRange(g *Region, start, end uint64, fn func(Run) error) error {
	return r.readRange(g, start, end, nil, fn)
}

// ReadBuffer holds the buffers ReadRangeReuse reads and decodes chunks
// into. The zero value is ready to use; one ReadBuffer serves one
// goroutine at a time.
type ReadBuffer struct {
	rec, data []byte
	alt       *ReadBuffer // for the second chunk ReadRange keeps decoded
}

// ReadRangeReuse is ReadRange for a caller that copies the bytes out: each
// chunk is read and decoded into buf, whose buffers serve chunk after chunk
// and call after call, so a Run's Data is valid only until fn returns. A
// reader of a whole archive saves allocating (and the kernel faulting in)
// a chunk's worth of memory per chunk.
func (r *Reader) ReadRangeReuse(g *Region, start, end uint64, buf *ReadBuffer, fn func(Run) error) error {
	if buf == nil {
		buf = &ReadBuffer{}
	}
	return r.readRange(g, start, end, buf, fn)
}

func (r *Reader) readRange(g *Region, start, end uint64, buf *ReadBuffer, fn func(Run) error) error {
	if start < g.Desc.Start || end > g.Desc.End || start > end {
		return fmt.Errorf("range %#x-%#x is outside region %d (%#x-%#x)", start, end, g.Desc.Index, g.Desc.Start, g.Desc.End)
	}
	spans := g.Spans()
	first := sort.Search(len(spans), func(i int) bool { return spans[i].End > start })
	var cache chunkCache
	for _, s := range spans[first:] {
		if s.Start >= end {
			break
		}
		if s.End <= start {
			continue
		}
		lo, hi := max(s.Start, start), min(s.End, end)
		if !s.chunk {
			if err := fn(Run{Start: lo, End: hi, State: s.State, Errno: s.Errno, Missing: s.Missing}); err != nil {
				return err
			}
			continue
		}
		c, err := cache.get(r, g, s, buf)
		if err != nil {
			return err
		}
		if err := emitChunkRuns(c.h, c.data, uint64(r.hdr.PageSize), lo, hi, fn); err != nil {
			return err
		}
	}
	return nil
}

// chunkCache keeps the two chunks decoded last. A region whose pages
// changed here and there between the pre-copy and the freeze alternates
// between spans of one pre-copy chunk and of the chunks of the changed
// pages: two entries decode each chunk once.
type chunkCache struct {
	e    [2]decodedChunk
	next int // the entry to replace
}

// decodedChunk is a whole chunk, decoded, and its archive offset.
type decodedChunk struct {
	off  int64
	h    chunkHead
	data []byte
}

func (c *chunkCache) get(r *Reader, g *Region, s Span, buf *ReadBuffer) (*decodedChunk, error) {
	for i := range c.e {
		if c.e[i].data != nil && c.e[i].off == s.off {
			c.next = 1 - i
			return &c.e[i], nil
		}
	}
	if buf != nil && c.next == 1 { // each entry decodes into buffers of its own
		if buf.alt == nil {
			buf.alt = &ReadBuffer{}
		}
		buf = buf.alt
	}
	h, data, err := r.chunkData(g, s, true, buf)
	if err != nil {
		return nil, err
	}
	e := &c.e[c.next]
	e.off, e.h, e.data = s.off, h, data
	c.next = 1 - c.next
	return e, nil
}

// emitChunkRuns splits a decoded chunk into runs of data and zero pages,
// clipped to [lo, hi).
func emitChunkRuns(h chunkHead, data []byte, ps, lo, hi uint64, fn func(Run) error) error {
	i := 0
	for i < len(h.States) {
		j := i + 1
		for j < len(h.States) && h.States[j] == h.States[i] {
			j++
		}
		a, b := h.Start+uint64(i)*ps, h.Start+uint64(j)*ps
		if a < hi && b > lo {
			a, b = max(a, lo), min(b, hi)
			run := Run{Start: a, End: b, State: h.States[i], Data: data[a-h.Start : b-h.Start : b-h.Start]}
			if err := fn(run); err != nil {
				return err
			}
		}
		i = j
	}
	return nil
}
