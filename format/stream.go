package format

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"

	"github.com/cespare/xxhash/v2"
)

// MaxStreamRecord bounds the record a stream reader holds in memory: every
// record procsnap writes is smaller (a chunk is at most 16 MiB, metadata
// 16 MiB, a thread 64 MiB), except an index, which is checked as it passes
// without being held. A larger record in a stream is reported as damage.
const MaxStreamRecord = 80 << 20

// streamSource reads records from a forward-only stream for a scan
// (recordSource): it keeps the bytes from the record being read on, and
// hashes every byte it drops into the SHA-256 of the stream, so that when a
// record at off is read, sha holds the digest of every byte before off.
type streamSource struct {
	ctx  context.Context // nil: never cancelled
	r    io.Reader
	hdr  fileHeader
	buf  []byte // bytes base .. base+len(buf) of the stream, in mem
	mem  []byte
	base int64
	eof  bool
	err  error // a read error other than EOF: the scan stops
	sha  hash.Hash

	index *indexSummary // the last index record, checked as it passed
}

// indexSummary is what a stream keeps of an index record.
type indexSummary struct {
	count   uint64 // entries the index declares
	seen    uint64 // entries it holds (at most count)
	entries uint64 // xxh64 of them as indexKey gives them, in file order
}

func newStreamSource(r io.Reader) *streamSource {
	return &streamSource{r: r, sha: sha256.New()}
}

// fill reads until the stream holds the bytes before end, or it ends; it
// reports whether they are there.
func (s *streamSource) fill(end int64) bool {
	for s.base+int64(len(s.buf)) < end && !s.eof && s.err == nil {
		if s.ctx != nil && s.ctx.Err() != nil {
			s.err = context.Cause(s.ctx)
			break
		}
		// Grow with what arrives, not with what a record claims: a
		// forged length costs only the bytes the stream really holds.
		want := end - s.base - int64(len(s.buf))
		s.room(int(max(min(want, int64(len(s.buf))), 64<<10)))
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			s.eof = true
		case err != nil:
			s.err = err
		}
	}
	return s.base+int64(len(s.buf)) >= end
}

// room makes room for n more bytes after the buffered ones, moving them to
// the start of the buffer's memory, or into a larger one.
func (s *streamSource) room(n int) {
	if cap(s.buf)-len(s.buf) >= n {
		return
	}
	mem := s.mem
	if need := len(s.buf) + n; cap(mem) < need {
		mem = make([]byte, need+need/2)
		s.mem = mem
	}
	s.buf = mem[:copy(mem, s.buf)]
}

// release hashes and drops the bytes before off.
func (s *streamSource) release(off int64) {
	k := min(off-s.base, int64(len(s.buf)))
	if k <= 0 {
		return
	}
	s.sha.Write(s.buf[:k])
	s.buf = s.buf[k:]
	s.base += k
	if len(s.buf) == 0 && cap(s.mem) > 32<<20 {
		s.buf, s.mem = nil, nil // a large record has passed: do not keep its memory
	}
}

// drain hashes and drops the rest of the stream; it returns its size.
func (s *streamSource) drain() int64 {
	for s.fill(s.base + int64(len(s.buf)) + 1) {
		s.release(s.base + int64(len(s.buf)))
	}
	s.release(s.base + int64(len(s.buf)))
	return s.base
}

// at returns the n bytes at off, which must be buffered.
func (s *streamSource) at(off int64, n int) []byte {
	i := off - s.base
	return s.buf[i : i+int64(n)]
}

func (s *streamSource) more(off int64) bool { return s.fill(off + 1) }

func (s *streamSource) scanLimit(off int64) int64 { return 4*off + 64<<20 }

// cutOff is the error of a record that the stream ends in (with the
// words a file's reader uses), or of a read that failed.
func (s *streamSource) cutOff(off int64, typ recType, want int64) error {
	if s.err != nil {
		return fmt.Errorf("read the stream at offset %d: %w", off, s.err)
	}
	size := s.base + int64(len(s.buf))
	if want == recHeaderLen {
		return corruptf(off, -1, "%d bytes at offset %d run past the end of the archive (%d bytes)", want, off, size)
	}
	return corruptf(off, -1, "%s record of %d bytes runs past the end of the archive (%d bytes left)", typ, want, size-off)
}

// readRecord reads and checks the record at off (recordSource). The
// payload is valid until the stream is read again (copy what must stay),
// and is returned also when the checksum fails (for scanRecords' keep).
// An index record is checked as it passes and summarised in s.index; its
// payload is nil.
func (s *streamSource) readRecord(off int64) (recType, []byte, int64, error) {
	s.release(off)
	if !s.fill(off + recHeaderLen) {
		return 0, nil, 0, s.cutOff(off, 0, recHeaderLen)
	}
	h, err := parseHead(s.at(off, recHeaderLen), math.MaxInt64)
	if err != nil {
		return 0, nil, 0, corruptf(off, -1, "%v", err)
	}
	if h.typ == recIndex {
		return s.readIndex(off, h)
	}
	if limit := min(maxRecordLen(s.hdr, h.typ), MaxStreamRecord); h.total() > limit {
		return h.typ, nil, 0, corruptf(off, -1, "%s record of %d bytes is above its limit of %d", h.typ, h.total(), limit)
	}
	if !s.fill(off + h.total()) {
		return h.typ, nil, s.base + int64(len(s.buf)) - off, s.cutOff(off, h.typ, h.total())
	}
	rec := s.at(off, int(h.total()))
	p := rec[recHeaderLen : len(rec)-recSumLen]
	if err := checkSum(rec); err != nil {
		return h.typ, p, h.total(), corruptf(off, -1, "%s: %v", h.typ, err)
	}
	return h.typ, p, h.total(), nil
}

// findMagic returns the offset of the next record magic at or after off,
// or -1, and how many bytes it looked at (recordSource). The bytes it
// passes are released: a scan never goes back.
func (s *streamSource) findMagic(off int64) (int64, int64) {
	off = max(off, s.base)
	var read int64
	for {
		s.release(off)
		if !s.fill(off + int64(len(recordMagic))) {
			return -1, read
		}
		s.fill(off + 64<<10)
		buf := s.buf[off-s.base:]
		read += int64(len(buf))
		if i := bytes.Index(buf, []byte(recordMagic)); i >= 0 {
			return off + int64(i), read
		}
		if s.eof || s.err != nil {
			return -1, read
		}
		off += max(int64(len(buf)-len(recordMagic)+1), 1)
	}
}

// readIndex checks an index record as it passes, holding at most a buffer
// of it, and keeps its entry count and the xxh64 of its entries (as
// indexKey gives them). Damage inside it cannot be rescanned: the scan
// resumes after it.
func (s *streamSource) readIndex(off int64, h recHead) (recType, []byte, int64, error) {
	rec := xxhash.New()
	rec.Write(s.at(off, recHeaderLen))
	ents := indexEntries{d: xxhash.New()}
	pos, end := off+recHeaderLen, off+recHeaderLen+int64(h.payLen)
	for pos < end {
		s.release(pos)
		if !s.fill(pos + 1) {
			return recIndex, nil, pos - off, s.cutOff(off, h.typ, h.total())
		}
		n := min(int64(len(s.buf)), end-pos)
		rec.Write(s.buf[:n])
		ents.write(s.buf[:n])
		pos += n
	}
	s.release(end)
	if !s.fill(end + recSumLen) {
		return recIndex, nil, end - off, s.cutOff(off, h.typ, h.total())
	}
	if want, got := binary.LittleEndian.Uint64(s.at(end, recSumLen)), rec.Sum64(); want != got {
		return recIndex, nil, h.total(), corruptf(off, -1, "index: record checksum mismatch (stored %016x, computed %016x)", want, got)
	}
	if h.payLen < 8 {
		return recIndex, nil, h.total(), corruptf(off, -1, "index of %d bytes holds no entry count", h.payLen)
	}
	s.index = &indexSummary{count: ents.count, seen: ents.seen, entries: ents.d.Sum64()}
	return recIndex, nil, h.total(), nil
}

// indexEntries takes an index payload piece by piece: its count, then
// that many entries, each hashed as indexKey gives it.
type indexEntries struct {
	counted bool   // the count has been read
	count   uint64 // entries declared
	seen    uint64 // entries hashed
	head    []byte // a partial count or entry
	buf     []byte
	d       *xxhash.Digest
}

func (x *indexEntries) write(p []byte) {
	for len(p) > 0 {
		if !x.counted {
			k := min(8-len(x.head), len(p))
			x.head, p = append(x.head, p[:k]...), p[k:]
			if len(x.head) == 8 {
				x.count, x.head, x.counted = binary.LittleEndian.Uint64(x.head), x.head[:0], true
			}
			continue
		}
		if x.seen >= x.count {
			return // bytes after the last entry are ignored, as decodeIndex does
		}
		k := min(indexEntryLen-len(x.head), len(p))
		x.head, p = append(x.head, p[:k]...), p[k:]
		if len(x.head) == indexEntryLen {
			x.buf = appendIndexEntry(x.buf[:0], indexKey(readIndexEntry(&dec{b: x.head})))
			x.d.Write(x.buf)
			x.head, x.seen = x.head[:0], x.seen+1
		}
	}
}

// indexKey is what of an index entry a reader relies on: where a record
// is, its length and type, and for a chunk its region and addresses
// (a file's reader reads them from the index alone).
func indexKey(e indexEntry) indexEntry {
	if e.Type != recChunk {
		e.Region, e.Start, e.End = -1, 0, 0
	}
	return e
}

// openStream reads the signature and the header record of a stream. It
// returns the source and the offset of the first record after the header.
func openStream(r io.Reader) (*streamSource, int64, error) {
	s := newStreamSource(r)
	s.fill(int64(len(Signature)))
	if s.err != nil {
		return nil, 0, fmt.Errorf("read the stream: %w", s.err)
	}
	if err := checkSignature(s.buf, int64(len(s.buf))); err != nil {
		return nil, 0, err
	}
	typ, p, n, err := s.readRecord(int64(len(Signature)))
	if s.hdr, err = headerOf(typ, p, err); err != nil {
		return nil, 0, err
	}
	return s, int64(len(Signature)) + n, nil
}

// followedByRecord reports whether a record or the end of the stream
// follows the n bytes at off: then a record of n bytes there that failed
// its checksum kept its length.
func (s *streamSource) followedByRecord(off, n int64) bool {
	end := off + n
	if !s.fill(end + 1) {
		return s.err == nil
	}
	return s.fill(end+int64(len(recordMagic))) && string(s.at(end, len(recordMagic))) == recordMagic
}
