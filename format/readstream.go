package format

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/cespare/xxhash/v2"
)

// ErrNeedsRandomAccess is what a Reader returned by ReadStream answers
// when asked for chunk data, which it does not keep.
var ErrNeedsRandomAccess = errors.New("the archive was read from a stream and its chunk data was not kept: this needs random access (save the stream to a file first)")

// streamData stands for the bytes of an archive read from a stream.
type streamData struct{}

func (streamData) ReadAt([]byte, int64) (int, error) { return 0, ErrNeedsRandomAccess }

// ReadStream reads an archive from r in one forward pass, as a recovery
// scan reads a file, and keeps what describes it: metadata, maps, auxv,
// threads, regions with their footers and where their pages are, the end
// record, problems. Chunk data is not kept: ReadRange, Verify (use
// VerifyStream) and ChunkInfo fail with ErrNeedsRandomAccess, except
// ChunkInfo on a region the stream ends in (no footer), whose chunk
// headers are kept so that its counts can be taken. Memory grows with the
// number of records, as a file's index does. Recovered is empty when the
// stream's index matches its records.
func ReadStream(r io.Reader) (*Reader, error) {
	src, off, err := openStream(r)
	if err != nil {
		return nil, err
	}
	rd := &Reader{ra: streamData{}, size: math.MaxInt64, hdr: src.hdr, headerEnd: off, byIndex: map[int]*Region{}}
	if rd.zdec, err = newDecoder(int(src.hdr.ChunkSize)); err != nil {
		return nil, err
	}
	s := &streamReading{rd: rd, src: src, idx: indexCheck{d: xxhash.New()}, indexAt: -1}
	scanRecords(src, off, s.apply, func(ce *CorruptError) { rd.problems = append(rd.problems, ce) }, nil)
	rd.size = src.drain()
	if src.err != nil {
		return nil, fmt.Errorf("read the stream at offset %d: %w", rd.size, src.err)
	}
	s.finish()
	rd.finish()
	return rd, nil
}

// streamReading builds a Reader from records as they pass.
type streamReading struct {
	rd        *Reader
	src       *streamSource
	idx       indexCheck
	indexAt   int64
	indexLen  int64
	indexErr  error
	trailer   *trailer
	trailerAt int64
}

func (s *streamReading) apply(typ recType, p []byte, off, n int64) {
	r := s.rd
	switch typ {
	case recIndex:
		s.trailer, s.indexAt, s.indexLen = nil, off, n
		s.indexErr = s.idx.check(s.src.index)
		return
	case recTrailer:
		if t, err := decodeTrailer(p); err == nil {
			s.trailer, s.trailerAt = &t, off
		}
		return
	}
	s.trailer = nil
	s.idx.add(entryOf(r.hdr, typ, p, off, n, func(i int) *RegionDesc {
		if g := r.byIndex[i]; g != nil {
			return &g.Desc
		}
		return nil
	}))
	if typ == recMaps || typ == recAuxv {
		p = bytes.Clone(p) // kept by the Reader; the stream's buffer is reused
	}
	var err error
	if typ == recChunk {
		err = s.chunk(p, off, n)
	} else {
		err = r.applyScanned(typ, p, off, n)
	}
	if err != nil {
		r.problems = append(r.problems, asCorrupt(err, off))
	}
	if g := r.byIndex[footerIndex(typ, p)]; typ == recFooter && g != nil {
		for i := range g.spans {
			g.spans[i].head = nil // counts come from the footer now
		}
	}
}

// chunk adds a chunk span, with its header kept for ChunkInfo.
func (s *streamReading) chunk(p []byte, off, n int64) error {
	r := s.rd
	h, err := parseChunkHead(p, int(r.hdr.PageSize), int(r.hdr.ChunkSize))
	if err != nil {
		return corruptf(off, -1, "chunk: %v", err)
	}
	end := h.Start + uint64(len(h.States))*uint64(r.hdr.PageSize)
	if err := r.addChunkSpan(false, h.Region, h.Start, end, off, n); err != nil {
		return err
	}
	g := r.byIndex[h.Region]
	g.spans[len(g.spans)-1].head = &h
	return nil
}

// finish takes the trailer that ends the stream, and says why the
// archive is not as its index says, if it is not.
func (s *streamReading) finish() {
	r := s.rd
	t := s.trailer
	switch {
	case t == nil || s.trailerAt+trailerLen != r.size:
		r.recovered = "no trailer at the end of the stream: the archive is incomplete"
	case t.IndexOffset != s.indexAt || t.IndexLength != s.indexLen:
		r.recovered = fmt.Sprintf("the trailer locates the index at %d+%d, the stream holds it at %d+%d", t.IndexOffset, t.IndexLength, s.indexAt, s.indexLen)
	case s.indexErr != nil:
		r.recovered = "index: " + s.indexErr.Error()
	}
	if t != nil && s.trailerAt+trailerLen == r.size {
		r.trailer, r.trailerAt = t, s.trailerAt
	}
}

// footerIndex is the region index a footer record names (-1 for another
// record, or one too short).
func footerIndex(typ recType, p []byte) int {
	d := dec{b: p}
	if i := int(d.u32()); typ == recFooter && d.err == nil {
		return i
	}
	return -1
}

// entryOf is the index entry a writer writes for a record: region and
// address range for descriptors, chunks, fills and footers (a footer's
// from its region's descriptor, descOf).
func entryOf(hdr fileHeader, typ recType, p []byte, off, n int64, descOf func(int) *RegionDesc) indexEntry {
	e := indexEntry{Offset: off, Length: n, Type: typ, Region: -1}
	d := dec{b: p}
	switch typ {
	case recRegion, recFill, recPrecopyRegion, recPrecopyFill:
		e.Region = int(d.u32())
		if typ == recFill || typ == recPrecopyFill {
			d.u32()
		}
		e.Start, e.End = d.u64(), d.u64()
	case recChunk, recPrecopyChunk:
		e.Region = int(d.u32())
		d.u32()
		e.Start = d.u64()
		e.End = e.Start + uint64(d.u32())*uint64(hdr.PageSize)
	case recFooter:
		e.Region = int(d.u32())
		if d := descOf(e.Region); d != nil {
			e.Start, e.End = d.Start, d.End
		}
	}
	return e
}
