package format

import (
	"bytes"
	"errors"
)

// maxRecordLen bounds a record's total length by its type, so that a
// forged length cannot make a scan read far.
func maxRecordLen(hdr fileHeader, t recType) int64 {
	switch t {
	case recHeader:
		return recOverhead + 64
	case recChunk:
		ps := int(hdr.PageSize)
		if ps == 0 {
			return recOverhead // no chunk can come before the header
		}
		return int64(recOverhead + chunkHeadLen(int(hdr.ChunkSize)/ps) + int(hdr.ChunkSize))
	case recFill:
		return recOverhead + 64
	case recTrailer:
		return trailerLen
	case recMeta:
		return recOverhead + MaxMetaLen
	case recThread:
		return recOverhead + MaxRegSets*(MaxRegSetLen+8) + 8
	}
	return recOverhead + MaxRecordLen
}

func (r *Reader) maxRecordLenOf(t recType) int64 { return maxRecordLen(r.hdr, t) }

// recordSource is what a forward scan reads: an archive file (a Reader)
// or a stream (streamSource).
type recordSource interface {
	// readRecord reads and checks the whole record at off: its type,
	// payload and total length (after a checksum failure, the bytes read).
	readRecord(off int64) (recType, []byte, int64, error)
	// findMagic returns the offset of the next record magic at or after
	// off, or -1, and how many bytes it read.
	findMagic(off int64) (int64, int64)
	// more reports whether any byte is left at off.
	more(off int64) bool
	// scanLimit is how many bytes a scan that has reached off may read in
	// all, against forged lengths.
	scanLimit(off int64) int64
}

// scanRecords walks src from off, handing every intact record to apply
// and every damage to damaged, and resynchronises on the record magic
// after damage. keep (nil: never) may take a record that failed its
// checksum, err, in place instead: the scan then goes on after it. It
// returns the offset where it stopped.
func scanRecords(src recordSource, off int64, apply func(typ recType, p []byte, off, n int64), damaged func(*CorruptError),
	keep func(typ recType, p []byte, off, n int64, err error) bool) int64 {
	var spent int64
	for src.more(off) {
		if spent >= src.scanLimit(off) {
			damaged(corruptf(off, -1, "scan stopped: too much damage to recover further"))
			break
		}
		typ, p, n, err := src.readRecord(off)
		if err != nil && keep != nil && p != nil && keep(typ, p, off, n, err) {
			spent += n
			off += n
			continue
		}
		if err != nil {
			spent += n + recHeaderLen
			next, searched := src.findMagic(off + 1)
			spent += searched
			if next < 0 {
				damaged(corruptf(off, -1, "archive ends in a damaged or cut-off record (%v)", err))
				break
			}
			damaged(corruptf(off, -1, "skipped %d damaged bytes (%v)", next-off, err))
			off = next
			continue
		}
		spent += n
		apply(typ, p, off, n)
		off += n
	}
	return off
}

// scan walks the archive from the first record after the header, keeping
// every intact record and resynchronising on the record magic after
// damage. Damage is recorded in r.problems, not returned: a scan recovers
// what it can.
func (r *Reader) scan() error {
	scanRecords(r, r.headerEnd, func(typ recType, p []byte, off, n int64) {
		if err := r.applyScanned(typ, p, off, n); err != nil {
			r.problems = append(r.problems, asCorrupt(err, off))
		}
	}, func(ce *CorruptError) { r.problems = append(r.problems, ce) }, nil)
	return nil
}

func (r *Reader) more(off int64) bool { return off < r.size }

func (r *Reader) scanLimit(int64) int64 { return 4*r.size + 64<<20 }

func (r *Reader) applyScanned(typ recType, p []byte, off, n int64) error {
	switch typ {
	case recChunk, recPrecopyChunk:
		if err := r.checkSection(typ, off); err != nil {
			return err
		}
		h, err := parseChunkHead(p, int(r.hdr.PageSize), int(r.hdr.ChunkSize))
		if err != nil {
			return corruptf(off, -1, "%s: %v", typ, err)
		}
		end := h.Start + uint64(len(h.States))*uint64(r.hdr.PageSize)
		return r.addChunkSpan(typ == recPrecopyChunk, h.Region, h.Start, end, off, n)
	case recTrailer:
		if off+n == r.size {
			if t, err := decodeTrailer(p); err == nil {
				r.trailer, r.trailerAt = &t, off
			}
		}
		return nil
	case recHeader:
		return corruptf(off, -1, "a second header record")
	}
	return r.apply(typ, p, off, n)
}

// findMagic returns the offset of the next record magic at or after off,
// or -1, and how many bytes it read. Its buffer is kept for the next call.
func (r *Reader) findMagic(off int64) (int64, int64) {
	var read int64
	for off < r.size {
		n := min(int64(64<<10), r.size-off)
		if int64(cap(r.scanBuf)) < n {
			r.scanBuf = make([]byte, n)
		}
		buf := r.scanBuf[:n]
		if err := r.readFull(buf, off); err != nil {
			return -1, read
		}
		read += n
		if i := bytes.Index(buf, []byte(recordMagic)); i >= 0 {
			return off + int64(i), read
		}
		if off+n >= r.size {
			return -1, read
		}
		off += n - int64(len(recordMagic)) + 1
	}
	return -1, read
}

func asCorrupt(err error, off int64) *CorruptError {
	var ce *CorruptError
	if errors.As(err, &ce) {
		return ce
	}
	return corruptf(off, -1, "%v", err)
}
