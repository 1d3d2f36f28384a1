package format

import (
	"encoding/binary"
	"fmt"

	"github.com/cespare/xxhash/v2"
)

// Signature is the first 8 bytes of every archive: a high byte so that it is
// not taken for text, the name, and CR LF to catch line-ending conversion.
const Signature = "\x89PSNAP\r\n"

// Format version written by this package. A reader accepts any minor
// version of its major version (see docs/FORMAT.md, "Versioning").
const (
	VersionMajor = 2
	VersionMinor = 0
	// minMajor is the oldest major version this package reads: version 1
	// archives are version 2 archives without a pre-copy.
	minMajor = 1
)

// recordMagic starts every record; a recovery scan resynchronises on it.
const recordMagic = "PSNR"

const (
	recHeaderLen  = 16 // magic, type, flags, payload length
	recSumLen     = 8  // xxh64 of header and payload
	recOverhead   = recHeaderLen + recSumLen
	trailerPayLen = 48
	trailerLen    = recOverhead + trailerPayLen
)

// recType identifies a record. Values are part of the format: never reuse one.
type recType uint16

const (
	recHeader  recType = 1
	recMeta    recType = 2
	recMaps    recType = 3
	recAuxv    recType = 4
	recThread  recType = 5
	recRegion  recType = 6
	recChunk   recType = 7
	recFill    recType = 8
	recFooter  recType = 9
	recEnd     recType = 10
	recIndex   recType = 11
	recTrailer recType = 12
	// Version 2: the pre-copy, made while the target ran, and the freeze
	// record that ends it (docs/FORMAT.md, "Pre-copy").
	recPrecopyRegion recType = 13
	recPrecopyChunk  recType = 14
	recPrecopyFill   recType = 15
	recFreeze        recType = 16
)

var recNames = map[recType]string{
	recHeader: "header", recMeta: "metadata", recMaps: "maps", recAuxv: "auxv",
	recThread: "thread", recRegion: "region descriptor", recChunk: "chunk",
	recFill: "fill", recFooter: "region footer", recEnd: "end", recIndex: "index",
	recTrailer: "trailer", recPrecopyRegion: "pre-copy region descriptor", recPrecopyChunk: "pre-copy chunk",
	recPrecopyFill: "pre-copy fill", recFreeze: "freeze",
}

func (t recType) String() string {
	if n, ok := recNames[t]; ok {
		return n
	}
	return fmt.Sprintf("unknown record type %d", uint16(t))
}

// Limits a reader enforces before allocating (docs/FORMAT.md, "Limits").
const (
	MaxRecordLen   = 1 << 30 // any record's payload
	MaxMetaLen     = 16 << 20
	MaxStringLen   = 1 << 20 // one path, maps line or reason
	MaxChunkSize   = 16 << 20
	MinPageSize    = 512
	MaxPageSize    = 1 << 20
	MaxRegSetLen   = 1 << 20
	MaxRegSets     = 64
	maxIndexEntry  = 48
	maxUnreadables = 1 << 24
)

// appendRecord frames payload as a record of type t onto dst.
func appendRecord(dst []byte, t recType, payload []byte) []byte {
	return appendFramed(dst, t, 0, payload)
}

// appendFramed is appendRecord with the frame's flags.
func appendFramed(dst []byte, t recType, flags uint16, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, recordMagic...)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(t))
	dst = binary.LittleEndian.AppendUint16(dst, flags)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(payload)))
	dst = append(dst, payload...)
	return binary.LittleEndian.AppendUint64(dst, xxhash.Sum64(dst[start:]))
}

// recHead is a parsed record header.
type recHead struct {
	typ    recType
	flags  uint16
	payLen uint64
}

// total is the record's length on disk, header and checksum included.
func (h recHead) total() int64 { return int64(h.payLen) + recOverhead }

// parseHead checks the magic of a record header and bounds its length by
// the bytes that remain in the archive (room) and by MaxRecordLen.
func parseHead(b []byte, room int64) (recHead, error) {
	if len(b) < recHeaderLen || string(b[:4]) != recordMagic {
		return recHead{}, fmt.Errorf("no record magic %q", recordMagic)
	}
	h := recHead{
		typ:    recType(binary.LittleEndian.Uint16(b[4:])),
		flags:  binary.LittleEndian.Uint16(b[6:]),
		payLen: binary.LittleEndian.Uint64(b[8:]),
	}
	if h.payLen > MaxRecordLen {
		return h, fmt.Errorf("%s record claims %d payload bytes, above the limit %d", h.typ, h.payLen, MaxRecordLen)
	}
	if h.total() > room {
		return h, fmt.Errorf("%s record of %d bytes runs past the end of the archive (%d bytes left)", h.typ, h.total(), room)
	}
	return h, nil
}

// checkSum verifies the checksum of a whole record (header, payload, sum).
func checkSum(rec []byte) error {
	n := len(rec) - recSumLen
	want := binary.LittleEndian.Uint64(rec[n:])
	if got := xxhash.Sum64(rec[:n]); got != want {
		return fmt.Errorf("record checksum mismatch (stored %016x, computed %016x)", want, got)
	}
	return nil
}

// CorruptError reports damage found in an archive: where, in which region
// (-1 when none), and what.
type CorruptError struct {
	Offset int64
	Region int
	Reason string
}

func (e *CorruptError) Error() string {
	if e.Region >= 0 {
		return fmt.Sprintf("corrupt archive at offset %d (region %d): %s", e.Offset, e.Region, e.Reason)
	}
	return fmt.Sprintf("corrupt archive at offset %d: %s", e.Offset, e.Reason)
}

func corruptf(off int64, region int, format string, a ...any) *CorruptError {
	return &CorruptError{Offset: off, Region: region, Reason: fmt.Sprintf(format, a...)}
}
