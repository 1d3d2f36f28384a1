package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/klauspost/compress/zstd"
)

// Reader gives random access to an archive. It is safe for concurrent use
// once opened.
type Reader struct {
	ra        io.ReaderAt
	size      int64
	hdr       fileHeader
	headerEnd int64
	zdec      *zstd.Decoder
	closer    io.Closer

	meta      *Meta
	maps      []byte
	auxv      []byte
	threads   []Thread
	regions   []*Region
	byIndex   map[int]*Region
	end       *End
	trailer   *trailer
	trailerAt int64
	recovered string // why the archive was scanned instead of indexed
	problems  []*CorruptError
	scanBuf   []byte // findMagic's buffer

	pre          precopyIndex // version 2: the pre-copy section
	freeze       *Freeze
	inconsistent string // why the regions are not one instant, if they are not
}

// Region is one captured mapping: its descriptor, footer (nil when the
// archive was cut off before it) and where its pages are stored.
type Region struct {
	Desc    RegionDesc
	Footer  *Footer
	spans   []Span // stored spans, sorted by Start
	all     []Span // spans with the gaps between them, computed once
	descOff int64
	footEnd int64 // archive offset just past the footer record
	precopy bool  // a region of the pre-copy section
}

// Precopy reports whether the region is one of the pre-copy section's,
// copied while the process ran (only when the archive ends before the
// freeze; see Reader.Inconsistent).
func (g *Region) Precopy() bool { return g.precopy }

// State is the region's final state (RegionTruncated without a footer).
func (g *Region) State() RegionState {
	if g.Footer == nil {
		return RegionTruncated
	}
	return g.Footer.State
}

// Open opens the archive at path. Close the Reader to close the file.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file (an archive needs random access: save a stream to a file first)", path)
	}
	r, err := NewReader(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.closer = f
	return r, nil
}

// NewReaderCloser is NewReader for a source the Reader owns, such as a
// decrypting view of a file: Close closes c. On error c is not closed.
func NewReaderCloser(ra io.ReaderAt, size int64, c io.Closer) (*Reader, error) {
	r, err := NewReader(ra, size)
	if err != nil {
		return nil, err
	}
	r.closer = c
	return r, nil
}

// Close closes the file opened by Open (or the closer NewReaderCloser took).
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// NewReader reads an archive of size bytes from ra. It uses the index when
// the trailer and index are intact, and otherwise scans the archive from
// the start, recovering every intact record (see Recovered).
func NewReader(ra io.ReaderAt, size int64) (*Reader, error) {
	r := &Reader{ra: ra, size: size, byIndex: map[int]*Region{}}
	if err := r.readHeader(); err != nil {
		return nil, err
	}
	zdec, err := newDecoder(int(r.hdr.ChunkSize))
	if err != nil {
		return nil, err
	}
	r.zdec = zdec
	if err := r.loadIndexed(); err != nil {
		r.reset()
		r.recovered = err.Error()
		if err := r.scan(); err != nil {
			return nil, err
		}
	}
	r.finish()
	return r, nil
}

func (r *Reader) reset() {
	r.meta, r.maps, r.auxv, r.threads, r.end, r.trailer = nil, nil, nil, nil, nil, nil
	r.regions, r.byIndex, r.problems = nil, map[int]*Region{}, nil
	r.pre, r.freeze, r.inconsistent = precopyIndex{}, nil, ""
}

// readHeader checks the signature and the header record.
func (r *Reader) readHeader() error {
	sig := make([]byte, min(r.size, int64(len(Signature))))
	if _, err := r.ra.ReadAt(sig, 0); err != nil && len(sig) == len(Signature) {
		return fmt.Errorf("read signature: %w", err)
	}
	if err := checkSignature(sig, r.size); err != nil {
		return err
	}
	typ, p, n, err := r.readRecord(int64(len(Signature)))
	if r.hdr, err = headerOf(typ, p, err); err != nil {
		return err
	}
	r.headerEnd = int64(len(Signature)) + n
	return nil
}

// checkSignature checks the first bytes of an archive of size bytes (the
// bytes a stream has, when it is shorter than a signature).
func checkSignature(sig []byte, size int64) error {
	if size < int64(len(Signature)) {
		return &CorruptError{Offset: 0, Region: -1, Reason: fmt.Sprintf("%d bytes is too short for a procsnap archive", size)}
	}
	if string(sig[:len(Signature)]) != Signature {
		return &CorruptError{Offset: 0, Region: -1, Reason: "not a procsnap archive (bad signature)"}
	}
	return nil
}

// headerOf decodes the first record, as read with err.
func headerOf(typ recType, p []byte, err error) (fileHeader, error) {
	const off = int64(len(Signature))
	if err != nil {
		return fileHeader{}, err
	}
	if typ != recHeader {
		return fileHeader{}, corruptf(off, -1, "first record is %s, want header", typ)
	}
	h, err := decodeHeader(p)
	if err != nil {
		return h, corruptf(off, -1, "header: %v", err)
	}
	return h, nil
}

// readRecord reads and checks the whole record at off: its type, payload
// and total length. After a checksum failure the length is the number of
// bytes read.
func (r *Reader) readRecord(off int64) (recType, []byte, int64, error) {
	var hb [recHeaderLen]byte
	if err := r.readFull(hb[:], off); err != nil {
		return 0, nil, 0, err
	}
	h, err := parseHead(hb[:], r.size-off)
	if err != nil {
		return 0, nil, 0, corruptf(off, -1, "%v", err)
	}
	if limit := r.maxRecordLenOf(h.typ); h.total() > limit {
		return h.typ, nil, 0, corruptf(off, -1, "%s record of %d bytes is above its limit of %d", h.typ, h.total(), limit)
	}
	rec := make([]byte, h.total())
	if err := r.readFull(rec, off); err != nil {
		return 0, nil, 0, err
	}
	if err := checkSum(rec); err != nil {
		return h.typ, nil, h.total(), corruptf(off, -1, "%s: %v", h.typ, err)
	}
	return h.typ, rec[recHeaderLen : len(rec)-recSumLen], h.total(), nil
}

func (r *Reader) readFull(b []byte, off int64) error {
	if off < 0 || off > r.size-int64(len(b)) {
		return corruptf(off, -1, "%d bytes at offset %d run past the end of the archive (%d bytes)", len(b), off, r.size)
	}
	n, err := r.ra.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read %d bytes at offset %d: %w", len(b), off, err)
}

// loadIndexed opens the archive through its trailer and index. Any damage
// there is returned, and the caller falls back to a scan.
func (r *Reader) loadIndexed() error {
	off := r.size - trailerLen
	if off < r.headerEnd {
		return errors.New("no trailer: the archive is incomplete")
	}
	typ, p, _, err := r.readRecord(off)
	if err != nil || typ != recTrailer {
		return errors.New("no valid trailer at the end: the archive is incomplete or damaged")
	}
	t, err := decodeTrailer(p)
	if err != nil {
		return fmt.Errorf("trailer: %v", err)
	}
	if t.IndexOffset < r.headerEnd || t.IndexLength < recOverhead || t.IndexOffset > off-t.IndexLength || t.IndexOffset+t.IndexLength != off {
		return fmt.Errorf("trailer locates the index at %d+%d, outside the archive body", t.IndexOffset, t.IndexLength)
	}
	typ, p, _, err = r.readRecord(t.IndexOffset)
	if err != nil {
		return fmt.Errorf("index: %v", err)
	}
	if typ != recIndex {
		return fmt.Errorf("trailer points at a %s record, not the index", typ)
	}
	entries, err := decodeIndex(p)
	if err != nil {
		return fmt.Errorf("index: %v", err)
	}
	r.trailer, r.trailerAt = &t, off
	return r.loadEntries(entries, t.IndexOffset)
}

// loadEntries reads every record the index lists, checking that entries
// are ordered, disjoint and inside the archive body.
func (r *Reader) loadEntries(entries []indexEntry, bodyEnd int64) error {
	prev := r.headerEnd
	for i, e := range entries {
		if e.Offset < prev || e.Length < recOverhead || e.Length > bodyEnd-e.Offset {
			return fmt.Errorf("index entry %d (%s at %d, %d bytes) is out of order or outside the archive", i, e.Type, e.Offset, e.Length)
		}
		prev = e.Offset + e.Length
		if e.Type == recChunk || e.Type == recPrecopyChunk {
			if err := r.checkSection(e.Type, e.Offset); err != nil {
				return err
			}
			if err := r.addChunkSpan(e.Type == recPrecopyChunk, e.Region, e.Start, e.End, e.Offset, e.Length); err != nil {
				return err
			}
			continue
		}
		typ, p, n, err := r.readRecord(e.Offset)
		if err != nil {
			return fmt.Errorf("index entry %d: %v", i, err)
		}
		if typ != e.Type || n != e.Length {
			return fmt.Errorf("index entry %d says %s of %d bytes at %d, found %s of %d", i, e.Type, e.Length, e.Offset, typ, n)
		}
		if err := r.apply(typ, p, e.Offset, n); err != nil {
			return err
		}
	}
	return nil
}

// apply adds one checked record (other than a chunk) to the Reader.
func (r *Reader) apply(typ recType, p []byte, off, n int64) error {
	if err := r.checkSection(typ, off); err != nil {
		return err
	}
	switch typ {
	case recFreeze:
		return r.applyFreeze(p, off)
	case recPrecopyRegion:
		return r.addPrecopyRegion(p, off)
	case recPrecopyFill:
		return r.addFill(true, p, off, n)
	case recMeta:
		m, err := decodeMeta(p)
		if err != nil {
			return corruptf(off, -1, "metadata: %v", err)
		}
		r.meta = m
	case recMaps:
		r.maps = p
	case recAuxv:
		r.auxv = p
	case recThread:
		t, err := decodeThread(p)
		if err != nil {
			return corruptf(off, -1, "thread: %v", err)
		}
		r.threads = append(r.threads, t)
	case recRegion:
		return r.addRegion(p, off)
	case recFill:
		return r.addFill(false, p, off, n)
	case recFooter:
		f, err := decodeFooter(p)
		if err != nil {
			return corruptf(off, -1, "region footer: %v", err)
		}
		g := r.byIndex[f.Index]
		if g == nil || g.Footer != nil {
			return corruptf(off, f.Index, "footer for a region with no descriptor, or a second footer")
		}
		g.Footer, g.footEnd = &f, off+n
	case recEnd:
		var e End
		if err := checkJSONValues(p, MaxEndLen); err != nil {
			return corruptf(off, -1, "end record: %v", err)
		}
		if err := json.Unmarshal(p, &e); err != nil {
			return corruptf(off, -1, "end record: %v", err)
		}
		r.end = &e
	}
	return nil // unknown record types are skipped (docs/FORMAT.md, "Versioning")
}

// addFill adds a fill of the final section or (pre) of the pre-copy.
func (r *Reader) addFill(pre bool, p []byte, off, n int64) error {
	f, err := decodeFill(p)
	if err != nil {
		return corruptf(off, -1, "fill: %v", err)
	}
	if ps := uint64(r.hdr.PageSize); f.Start%ps != 0 || f.End%ps != 0 {
		return corruptf(off, f.Region, "fill %#x-%#x is not page-aligned", f.Start, f.End)
	}
	if f.State == PageInherit && (pre || r.freeze == nil) {
		return corruptf(off, f.Region, "an as-pre-copied fill outside the final section of a pre-copied archive")
	}
	return r.addSpan(pre, f.Region, Span{Start: f.Start, End: f.End, State: f.State, Errno: f.Errno, off: off, length: n})
}

func (r *Reader) addRegion(p []byte, off int64) error {
	d, err := decodeDesc(p, uint64(r.hdr.PageSize))
	if err != nil {
		return corruptf(off, -1, "region descriptor: %v", err)
	}
	if d.Index < 0 || r.byIndex[d.Index] != nil {
		return corruptf(off, d.Index, "duplicate or negative region index %d", d.Index)
	}
	g := &Region{Desc: d, descOff: off}
	r.byIndex[d.Index] = g
	r.regions = append(r.regions, g)
	return nil
}

func (r *Reader) addChunkSpan(pre bool, region int, start, end uint64, off, n int64) error {
	if err := checkChunkSpan(r.hdr, region, start, end, off, n); err != nil {
		return err
	}
	return r.addSpan(pre, region, Span{Start: start, End: end, State: PageData, chunk: true, off: off, length: n})
}

// checkChunkSpan checks a chunk record of n bytes at off that covers
// [start, end): whole pages inside one chunk-size cell.
func checkChunkSpan(hdr fileHeader, region int, start, end uint64, off, n int64) error {
	ps, cs := uint64(hdr.PageSize), uint64(hdr.ChunkSize)
	maxLen := int64(recOverhead + chunkHeadLen(int(cs/ps)) + int(cs))
	if n > maxLen || end <= start || start/cs != (end-1)/cs || start%ps != 0 || end%ps != 0 {
		return corruptf(off, region, "chunk of %d bytes covering %#x-%#x is not a valid chunk (chunks hold whole pages inside one %d-byte cell)", n, start, end, cs)
	}
	return nil
}

func (r *Reader) addSpan(pre bool, region int, s Span) error {
	g := r.regionFor(pre, region)
	if g == nil {
		return corruptf(s.off, region, "data for region %d before its descriptor", region)
	}
	s.cStart, s.cEnd, s.rec, s.pre = s.Start, s.End, region, pre
	var prevEnd uint64
	if n := len(g.spans); n > 0 {
		prevEnd = g.spans[n-1].End
	}
	if err := checkSpan(g.Desc, prevEnd, s.Start, s.End, s.off); err != nil {
		return err
	}
	g.spans = append(g.spans, s)
	return nil
}

// checkSpan checks that the span [start, end) of the record at off lies in
// region d and after the span before it, which ended at prevEnd.
func checkSpan(d RegionDesc, prevEnd, start, end uint64, off int64) error {
	if start < d.Start || end > d.End {
		return corruptf(off, d.Index, "span %#x-%#x outside the region %#x-%#x", start, end, d.Start, d.End)
	}
	if start < prevEnd {
		return corruptf(off, d.Index, "span %#x-%#x overlaps or precedes the span before it", start, end)
	}
	return nil
}

// finish sorts regions by index, computes their spans, and records
// regions that overlap or are out of address order, and skipped regions
// that carry data: maps never shows such things.
func (r *Reader) finish() {
	sort.Slice(r.regions, func(i, j int) bool { return r.regions[i].Desc.Index < r.regions[j].Desc.Index })
	r.finishPrecopy()
	var prevEnd uint64
	for i, g := range r.regions {
		g.all = g.computeSpans()
		if i > 0 && g.Desc.Start < prevEnd {
			r.problems = append(r.problems, corruptf(g.descOff, g.Desc.Index,
				"region %#x-%#x overlaps or precedes the region before it", g.Desc.Start, g.Desc.End))
		}
		prevEnd = max(prevEnd, g.Desc.End)
		if g.Desc.Skip != "" && len(g.spans) > 0 {
			r.problems = append(r.problems, corruptf(g.descOff, g.Desc.Index, "skipped region holds data records"))
		}
	}
}
