package format

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/zstd"
)

// StreamResult is what VerifyStream found: the VerifyResult that Verify
// gives for a file, and what the stream held.
type StreamResult struct {
	VerifyResult
	Size     int64    // bytes read
	SHA256   [32]byte // of every byte read
	End      *End     // the end record; nil when the stream has none
	Trailer  bool     // a trailer ended the stream
	Unfooted int      // regions without a footer: the stream was cut off in them
	Damaged  int      // damaged or misplaced records
	// Recovered says why a file holding these bytes would be read by
	// scanning rather than through its index ("" when it would not).
	Recovered string
	// Inconsistent says why the regions are not one instant of the
	// process ("" when they are): the stream ended before its freeze record.
	Inconsistent string
	regions      map[int]RegionDesc
}

// Region returns the descriptor of a region that a problem names (its
// path cut to 4 KiB, its maps line dropped), or nil.
func (s *StreamResult) Region(index int) *RegionDesc {
	if d, ok := s.regions[index]; ok {
		return &d
	}
	return nil
}

// maxStreamProblems bounds the problems VerifyStream keeps; the rest are
// counted in one last problem.
const maxStreamProblems = 1000

// VerifyStream verifies an archive read from r in one forward pass, with
// bounded memory and nothing written anywhere: every record checksum, every
// page hash (each chunk is decompressed as it arrives), every region's
// hash and counters against its footer, the index against the records
// before it, and the SHA-256 of the stream against its trailer, which must
// end it. Regions must come as procsnap writes them: in index order, each
// one's descriptor, data and footer in turn (other orders, which a file
// may hold, are reported as damage: verify such an archive as a file).
//
// The error is a *CorruptError when r is not an archive, and otherwise
// says why r could not be read or that ctx ended; damage is in the result.
func VerifyStream(ctx context.Context, r io.Reader) (*StreamResult, error) {
	src, off, err := openStream(r)
	if err != nil {
		return nil, err
	}
	src.ctx = ctx
	zdec, err := newDecoder(int(src.hdr.ChunkSize))
	if err != nil {
		return nil, err
	}
	defer zdec.Close()
	v := &streamVerifier{src: src, zdec: zdec, last: -1, indexAt: -1, idx: indexCheck{d: xxhash.New()},
		res: &StreamResult{regions: map[int]RegionDesc{}}}
	scanRecords(src, off, v.apply, v.damage, v.damagedChunk)
	v.res.Size = src.drain()
	if src.err != nil {
		return nil, fmt.Errorf("read the stream at offset %d: %w", v.res.Size, src.err)
	}
	copy(v.res.SHA256[:], src.sha.Sum(nil))
	v.finish()
	return v.res, nil
}

// streamVerifier checks records in stream order.
type streamVerifier struct {
	src       *streamSource
	zdec      *zstd.Decoder
	res       *StreamResult
	idx       indexCheck
	open      *regionCheck // the region whose records are passing
	last      int          // index of the last region begun
	prevEnd   uint64       // end of the highest region so far
	indexAt   int64        // the last index record: offset and length
	indexLen  int64
	indexErr  error
	trailer   *trailer // the last trailer, its offset and the digest before it
	trailerAt int64
	digest    [32]byte
	dropped   int    // problems beyond maxStreamProblems
	scratch   []byte // decompressed chunk data, reused
	pre       streamPrecopy
}

// regionCheck is the region being verified.
type regionCheck struct {
	desc    RegionDesc
	off     int64 // of the descriptor
	cursor  uint64
	fc      *footerCheck
	missing []Problem // gaps, reported with the footer
	bad     bool      // a chunk failed: the footer is not compared (as Verify)
	dataBad bool      // a skipped region with data records, reported once
}

func (v *streamVerifier) problem(p Problem) {
	if len(v.res.Problems) >= maxStreamProblems {
		v.dropped++
		return
	}
	if g := v.open; p.Region >= 0 && g != nil && g.desc.Index == p.Region {
		if _, ok := v.res.regions[p.Region]; !ok {
			d := g.desc
			d.Path, d.MapsLine = d.Path[:min(len(d.Path), 4096)], ""
			v.res.regions[p.Region] = d
		}
	}
	v.res.Problems = append(v.res.Problems, p)
}

// damage records a damaged or misplaced record: a file holding it would
// be read by scanning, and the archive is not complete.
func (v *streamVerifier) damage(ce *CorruptError) {
	v.res.Damaged++
	v.problem(Problem{ce.Region, ce.Offset, ce.Reason})
}

// apply checks one intact record (scanRecords' apply).
func (v *streamVerifier) apply(typ recType, p []byte, off, n int64) {
	e := entryOf(v.src.hdr, typ, p, off, n, v.openDesc)
	var err error
	switch typ {
	case recHeader:
		err = corruptf(off, -1, "a second header record")
	case recMeta:
		if _, derr := decodeMeta(p); derr != nil {
			err = corruptf(off, -1, "metadata: %v", derr)
		}
	case recThread:
		if _, derr := decodeThread(p); derr != nil {
			err = corruptf(off, -1, "thread: %v", derr)
		}
	case recRegion:
		err = v.begin(p, off)
	case recChunk:
		err = v.chunk(p, off, n)
	case recFill:
		err = v.fill(p, off)
	case recPrecopyRegion, recPrecopyChunk, recPrecopyFill, recFreeze:
		err = v.precopyRecord(typ, p, off, n)
	case recFooter:
		err = v.footer(p, off)
	case recEnd:
		err = v.end(p, off)
	case recIndex:
		v.index(off, n)
		return
	case recTrailer:
		v.trailerRecord(p, off)
		return
	}
	v.trailer = nil // a trailer must be the last record
	v.idx.add(e)
	if err != nil {
		v.damage(asCorrupt(err, off))
	}
}

// openDesc is the descriptor of the open region, if it is region i.
func (v *streamVerifier) openDesc(i int) *RegionDesc {
	if v.open != nil && v.open.desc.Index == i {
		return &v.open.desc
	}
	return nil
}

func (v *streamVerifier) end(p []byte, off int64) error {
	var e End
	if err := checkJSONValues(p, MaxEndLen); err != nil {
		return corruptf(off, -1, "end record: %v", err)
	}
	if err := json.Unmarshal(p, &e); err != nil {
		return corruptf(off, -1, "end record: %v", err)
	}
	v.res.End = &e
	return nil
}

func (v *streamVerifier) index(off, n int64) {
	v.trailer = nil
	v.indexAt, v.indexLen = off, n
	if v.indexErr = v.idx.check(v.src.index); v.indexErr != nil {
		v.problem(Problem{-1, off, "index unusable: " + v.indexErr.Error()})
	}
}

func (v *streamVerifier) trailerRecord(p []byte, off int64) {
	t, err := decodeTrailer(p)
	if err != nil {
		v.damage(corruptf(off, -1, "trailer: %v", err))
		return
	}
	v.trailer, v.trailerAt = &t, off
	copy(v.digest[:], v.src.sha.Sum(nil)) // every byte before the trailer
}

// finish judges the stream once it has ended.
func (v *streamVerifier) finish() {
	res := v.res
	if v.open != nil {
		res.Unfooted++
	}
	if t := v.trailer; t != nil && v.trailerAt+trailerLen == res.Size {
		res.Trailer, res.DigestChecked = true, true
		if t.IndexOffset != v.indexAt || t.IndexLength != v.indexLen {
			v.problem(Problem{-1, v.trailerAt, fmt.Sprintf("index unusable: the trailer locates it at %d+%d, the stream holds it at %d+%d",
				t.IndexOffset, t.IndexLength, v.indexAt, v.indexLen)})
		}
		if v.digest != t.SHA256 {
			v.problem(Problem{-1, v.trailerAt, fmt.Sprintf("archive SHA-256 %x does not match the trailer's %x", v.digest, t.SHA256)})
		}
	}
	switch {
	case !res.Trailer:
		res.Recovered = "no valid trailer at the end: the archive is incomplete or damaged"
	case v.indexErr != nil:
		res.Recovered = "index: " + v.indexErr.Error()
	}
	if v.dropped > 0 {
		res.Problems = append(res.Problems, Problem{-1, 0, fmt.Sprintf("%d more problems not listed", v.dropped)})
	}
	if v.pre.seen && !v.pre.frozen {
		res.Inconsistent = "the archive ends before the freeze: it holds only the pre-copy, copied while the process ran, not one instant of it"
	}
	res.Complete = res.End != nil && res.End.Complete && res.Trailer && res.Unfooted == 0 && res.Damaged == 0 && res.Inconsistent == ""
	res.OK = res.Complete && len(res.Problems) == 0
}

// indexCheck recomputes, as records pass, the index a writer writes for
// them: their count and the xxh64 of their entries.
type indexCheck struct {
	n   uint64
	d   *xxhash.Digest
	buf []byte
}

func (c *indexCheck) add(e indexEntry) {
	c.buf = appendIndexEntry(c.buf[:0], indexKey(e))
	c.d.Write(c.buf)
	c.n++
}

func (c *indexCheck) check(s *indexSummary) error {
	switch {
	case s == nil:
		return fmt.Errorf("no index")
	case s.count != c.n || s.seen != s.count:
		return fmt.Errorf("the index lists %d records, the stream holds %d before it", s.count, c.n)
	case s.entries != c.d.Sum64():
		return fmt.Errorf("the index entries do not match the records before it")
	}
	return nil
}
