package format

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// The archive as stored, for tools that take one apart and put it back
// together (as archive/zip's OpenRaw and CreateRaw serve tools that copy
// entries untouched): procsnap's hostile-input tests damage archives with
// it beyond their checksums. The names are docs/FORMAT.md's; the Writer and
// Reader frame, index and checksum records with the same code.

// RecordType is the type field of a record's frame.
type RecordType uint16

// Record types (docs/FORMAT.md, "Records").
const (
	RecordHeader        = RecordType(recHeader)
	RecordMeta          = RecordType(recMeta)
	RecordMaps          = RecordType(recMaps)
	RecordAuxv          = RecordType(recAuxv)
	RecordThread        = RecordType(recThread)
	RecordRegion        = RecordType(recRegion)
	RecordChunk         = RecordType(recChunk)
	RecordFill          = RecordType(recFill)
	RecordFooter        = RecordType(recFooter)
	RecordEnd           = RecordType(recEnd)
	RecordIndex         = RecordType(recIndex)
	RecordTrailer       = RecordType(recTrailer)
	RecordPrecopyRegion = RecordType(recPrecopyRegion)
	RecordPrecopyChunk  = RecordType(recPrecopyChunk)
	RecordPrecopyFill   = RecordType(recPrecopyFill)
	RecordFreeze        = RecordType(recFreeze)
)

func (t RecordType) String() string { return recType(t).String() }

// Sizes of the layout.
const (
	RecordHeaderLen = recHeaderLen  // a frame before its payload: magic, type, flags, length
	RecordSumLen    = recSumLen     // the xxh64 after the payload
	TrailerLen      = trailerLen    // the trailer record, frame included
	IndexEntryLen   = indexEntryLen // one entry of the index
	ChunkFlagZstd   = chunkFlagZstd // a chunk's flags: its stored bytes are one zstd frame
)

// RawRecord is a record as stored.
type RawRecord struct {
	Offset  int64 // where its frame starts (set by SplitRecords; AppendRecord ignores it)
	Type    RecordType
	Flags   uint16
	Payload []byte
}

// Len is the record's length in the archive, frame included.
func (r RawRecord) Len() int64 { return int64(len(r.Payload)) + recOverhead }

// SplitRecords takes an archive apart: every record after the signature,
// the index and trailer included. Each must be whole, with its magic and
// a length that fits; checksums are not checked. Payloads alias b.
func SplitRecords(b []byte) ([]RawRecord, error) {
	if err := checkSignature(b[:min(len(b), len(Signature))], int64(len(b))); err != nil {
		return nil, err
	}
	var out []RawRecord
	for off := int64(len(Signature)); off < int64(len(b)); {
		h, err := parseHead(b[off:min(off+recHeaderLen, int64(len(b)))], int64(len(b))-off)
		if err != nil {
			return out, corruptf(off, -1, "%v", err)
		}
		out = append(out, RawRecord{Offset: off, Type: RecordType(h.typ), Flags: h.flags,
			Payload: b[off+recHeaderLen : off+recHeaderLen+int64(h.payLen)]})
		off += h.total()
	}
	return out, nil
}

// AppendRecord appends r, framed, with a valid checksum.
func AppendRecord(dst []byte, r RawRecord) []byte {
	return appendFramed(dst, recType(r.Type), r.Flags, r.Payload)
}

// AppendIndex appends the index a Writer would write for recs, which lie
// in b at their Offsets (their spans computed with pageSize as a chunk's
// page size), and the trailer that points at it with the SHA-256 of b and
// the index.
func AppendIndex(b []byte, pageSize int, recs []RawRecord) []byte {
	hdr := fileHeader{PageSize: uint32(pageSize)}
	descs := map[int]*RegionDesc{}
	entries := make([]indexEntry, 0, len(recs))
	for _, r := range recs {
		e := entryOf(hdr, recType(r.Type), r.Payload, r.Offset, r.Len(), func(i int) *RegionDesc { return descs[i] })
		if r.Type == RecordRegion {
			descs[e.Region] = &RegionDesc{Start: e.Start, End: e.End}
		}
		entries = append(entries, e)
	}
	return AppendTrailer(b, encodeIndex(entries))
}

// AppendTrailer appends an index record with payload index, whatever it
// holds, and a trailer that points at it with the SHA-256 of b and the
// index: a reader trusts both.
func AppendTrailer(b, index []byte) []byte {
	off := len(b)
	b = appendRecord(b, recIndex, index)
	t := trailer{IndexOffset: int64(off), IndexLength: int64(len(b) - off), SHA256: sha256.Sum256(b)}
	return appendRecord(b, recTrailer, t.encode())
}

// FixChunkHeadSum sets the head_sum of a chunk payload to the checksum of
// the fields before it, as the Writer computes it; false when p is too
// short to hold a head_sum.
func FixChunkHeadSum(p []byte) bool {
	f, ok := FieldOf(RecordChunk, p, "head_sum")
	if ok {
		binary.LittleEndian.PutUint64(p[f.Offset:], chunkHeadSum(p[:f.Offset]))
	}
	return ok
}

// Field is a field of a record: Size bytes at Offset, an unsigned
// little-endian integer when Size is 1, 2, 4 or 8.
type Field struct {
	Name         string
	Offset, Size int
}

// Frame is the layout of a record's frame, from its first byte.
func Frame() []Field {
	return []Field{{"magic", 0, 4}, {"type", 4, 2}, {"flags", 6, 2}, {"length", 8, recHeaderLen - 8}}
}

// Fields lists the fields of payload p of a record of type t, in order,
// under docs/FORMAT.md's names: a string or byte field is NAME.len then
// NAME; the fields of the n-th element of a list are LIST[n].FIELD. The
// counts and lengths in p place what follows them; the list stops where p
// ends. JSON and raw records (metadata, maps, auxv, end, freeze) have none.
func Fields(t RecordType, p []byte) []Field {
	l := layoutWalk{p: p}
	switch t {
	case RecordHeader:
		l.fixed("major", 2, "minor", 2, "page_size", 4, "chunk_size", 4, "flags", 4)
	case RecordRegion, RecordPrecopyRegion:
		l.fixed("index", 4, "start", 8, "end", 8, "offset", 8, "dev_major", 4, "dev_minor", 4, "inode", 8)
		l.str("perms")
		l.str("path")
		l.str("maps_line")
		l.str("skip")
	case RecordChunk, RecordPrecopyChunk:
		l.fixed("region", 4, "flags", 2, "reserved", 2, "start", 8)
		n := l.u32("npages")
		l.fixed("states", n, "hashes", 8*n, "raw_len", 4, "stored_len", 4, "head_sum", 8)
		l.fixed("stored", len(p)-l.off)
	case RecordFill, RecordPrecopyFill:
		l.fixed("region", 4, "state", 1, "reserved", 1, "reserved", 2, "start", 8, "end", 8, "errno", 4)
	case RecordFooter:
		l.fixed("region", 4, "state", 1, "method", 1, "reserved", 2, "data_bytes", 8, "zero_bytes", 8,
			"unreadable_bytes", 8, "not_captured_bytes", 8, "hash", 8)
		for i := range l.u32("count") {
			l.fixed(fmt.Sprintf("ranges[%d].start", i), 8, fmt.Sprintf("ranges[%d].end", i), 8, fmt.Sprintf("ranges[%d].errno", i), 4)
		}
		l.str("message")
	case RecordThread:
		l.fixed("tid", 4)
		for i := range l.u32("count") {
			l.fixed(fmt.Sprintf("regsets[%d].type", i), 4)
			l.str(fmt.Sprintf("regsets[%d].data", i))
		}
	case RecordIndex:
		l.fixed("count", 8)
		for i := 0; l.off < len(p); i++ {
			e := func(f string) string { return fmt.Sprintf("entries[%d].%s", i, f) }
			l.fixed(e("offset"), 8, e("length"), 8, e("type"), 2, e("reserved"), 2, e("region"), 4, e("start"), 8, e("end"), 8)
		}
	case RecordTrailer:
		l.fixed("index_offset", 8, "index_length", 8, "sha256", 32)
	}
	return l.out
}

// FieldOf is the field of payload p named name (see Fields).
func FieldOf(t RecordType, p []byte, name string) (Field, bool) {
	for _, f := range Fields(t, p) {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// layoutWalk lists fields from the start of a payload; a field that does
// not fit ends the list.
type layoutWalk struct {
	p    []byte
	off  int
	out  []Field
	done bool
}

// fixed adds fields given as name, size pairs.
func (l *layoutWalk) fixed(pairs ...any) {
	for i := 0; i+1 < len(pairs); i += 2 {
		l.add(pairs[i].(string), pairs[i+1].(int))
	}
}

func (l *layoutWalk) add(name string, size int) bool {
	if l.done || size < 0 || size > len(l.p)-l.off {
		l.done = true
		return false
	}
	l.out = append(l.out, Field{name, l.off, size})
	l.off += size
	return true
}

// u32 adds a u32 count or length and returns it (0 when it does not fit).
func (l *layoutWalk) u32(name string) int {
	if !l.add(name, 4) {
		return 0
	}
	return int(binary.LittleEndian.Uint32(l.p[l.off-4:]))
}

// str adds a string or byte field: its length, then its bytes.
func (l *layoutWalk) str(name string) {
	l.add(name, l.u32(name+".len"))
}
