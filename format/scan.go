package format

import (
	"bytes"
	"errors"
)

// maxRecordLenOf bounds a record's total length by its type, so that a
// forged length cannot make a scan read far.
func (r *Reader) maxRecordLenOf(t recType) int64 {
	switch t {
	case recHeader:
		return recOverhead + 64
	case recChunk:
		ps := int(r.hdr.PageSize)
		if ps == 0 {
			return recOverhead // no chunk can come before the header
		}
		return int64(recOverhead + chunkHeadLen(int(r.hdr.ChunkSize)/ps) + int(r.hdr.ChunkSize))
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

// scan walks the archive from the first record after the header, keeping
// every intact record and resynchronising on the record magic after
// damage. Damage is recorded in r.problems, not returned: a scan recovers
// what it can.
func (r *Reader) scan() error {
	budget := 4*r.size + 64<<20 // bytes a scan may read, against forged lengths
	off := r.headerEnd
	for off < r.size && budget > 0 {
		typ, p, n, err := r.readRecord(off)
		if err != nil {
			budget -= n + recHeaderLen
			next, searched := r.findMagic(off + 1)
			budget -= searched
			if next < 0 {
				r.problems = append(r.problems, corruptf(off, -1, "archive ends in a damaged or cut-off record (%v)", err))
				break
			}
			r.problems = append(r.problems, corruptf(off, -1, "skipped %d damaged bytes (%v)", next-off, err))
			off = next
			continue
		}
		budget -= n
		if err := r.applyScanned(typ, p, off, n); err != nil {
			r.problems = append(r.problems, asCorrupt(err, off))
		}
		off += n
	}
	if budget <= 0 {
		r.problems = append(r.problems, corruptf(off, -1, "scan stopped: too much damage to recover further"))
	}
	return nil
}

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
