package main

// A model of an archive for the hostile-input suite: a list of records that
// can be re-framed with valid checksums, a rebuilt index and a trailer with
// the right SHA-256, so that mutations reach past the checksums. The layout
// is docs/FORMAT.md's; nothing here uses the format package's internals.

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/cespare/xxhash/v2"
)

// Record types and sizes from docs/FORMAT.md.
const (
	fRecHeader  = 1
	fRecMeta    = 2
	fRecMaps    = 3
	fRecAuxv    = 4
	fRecThread  = 5
	fRecRegion  = 6
	fRecChunk   = 7
	fRecFill    = 8
	fRecFooter  = 9
	fRecEnd     = 10
	fRecIndex   = 11
	fRecTrailer = 12

	fSigLen       = 8
	fRecHeadLen   = 16
	fRecOverhead  = 24
	fIndexEntry   = 40
	fRecSumLen    = 8
	fSignature    = "\x89PSNAP\r\n"
	fRecordMagic  = "PSNR"
	fHeaderRecLen = fRecOverhead + 16
)

// faultRec is one record: type, flags and payload.
type faultRec struct {
	typ, flags uint16
	payload    []byte
}

// faultModel is an archive as records: the header record, then the body
// (everything but the index and trailer, which are rebuilt).
type faultModel struct {
	header faultRec
	body   []faultRec
	ps     uint64
}

// parseFaultModel splits a well-formed archive into records.
func parseFaultModel(b []byte) (faultModel, error) {
	var m faultModel
	if len(b) < fSigLen || string(b[:fSigLen]) != fSignature {
		return m, fmt.Errorf("no signature")
	}
	for off := fSigLen; off < len(b); {
		if len(b)-off < fRecOverhead || string(b[off:off+4]) != fRecordMagic {
			return m, fmt.Errorf("no record at %d", off)
		}
		n := binary.LittleEndian.Uint64(b[off+8:])
		if n > uint64(len(b)-off-fRecOverhead) {
			return m, fmt.Errorf("record at %d runs past the end", off)
		}
		r := faultRec{typ: binary.LittleEndian.Uint16(b[off+4:]), flags: binary.LittleEndian.Uint16(b[off+6:]),
			payload: slices.Clone(b[off+fRecHeadLen : off+fRecHeadLen+int(n)])}
		switch r.typ {
		case fRecHeader:
			m.header = r
			m.ps = uint64(binary.LittleEndian.Uint32(r.payload[4:]))
		case fRecIndex, fRecTrailer:
		default:
			m.body = append(m.body, r)
		}
		off += fRecOverhead + int(n)
	}
	return m, nil
}

func (m faultModel) clone() faultModel {
	c := faultModel{header: m.header, ps: m.ps, body: make([]faultRec, len(m.body))}
	c.header.payload = slices.Clone(m.header.payload)
	for i, r := range m.body {
		c.body[i] = faultRec{typ: r.typ, flags: r.flags, payload: slices.Clone(r.payload)}
	}
	return c
}

// appendFrame frames a record with a valid checksum.
func appendFrame(dst []byte, r faultRec) []byte {
	start := len(dst)
	dst = append(dst, fRecordMagic...)
	dst = binary.LittleEndian.AppendUint16(dst, r.typ)
	dst = binary.LittleEndian.AppendUint16(dst, r.flags)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(r.payload)))
	dst = append(dst, r.payload...)
	return binary.LittleEndian.AppendUint64(dst, xxhash.Sum64(dst[start:]))
}

// faultU32 and faultU64 read a payload field, 0 when it is cut off.
func faultU32(p []byte, off int) uint64 {
	if off < 0 || off+4 > len(p) {
		return 0
	}
	return uint64(binary.LittleEndian.Uint32(p[off:]))
}

func faultU64(p []byte, off int) uint64 {
	if off < 0 || off+8 > len(p) {
		return 0
	}
	return binary.LittleEndian.Uint64(p[off:])
}

// span is the region and address range an index entry gives a record.
func (m faultModel) span(r faultRec, descs map[int32][2]uint64) (int32, uint64, uint64) {
	p := r.payload
	switch r.typ {
	case fRecRegion:
		return int32(faultU32(p, 0)), faultU64(p, 4), faultU64(p, 12)
	case fRecChunk:
		start := faultU64(p, 8)
		return int32(faultU32(p, 0)), start, start + faultU32(p, 16)*m.ps
	case fRecFill:
		return int32(faultU32(p, 0)), faultU64(p, 8), faultU64(p, 16)
	case fRecFooter:
		reg := int32(faultU32(p, 0))
		d := descs[reg]
		return reg, d[0], d[1]
	}
	return -1, 0, 0
}

// bytes serialises the model: signature, header, body, and (with index)
// a rebuilt index and a trailer with the right SHA-256.
func (m faultModel) bytes(index bool) []byte {
	b := appendFrame([]byte(fSignature), m.header)
	var entries []byte
	n := 0
	descs := map[int32][2]uint64{}
	for _, r := range m.body {
		off := len(b)
		b = appendFrame(b, r)
		reg, start, end := m.span(r, descs)
		if r.typ == fRecRegion {
			descs[reg] = [2]uint64{start, end}
		}
		entries = binary.LittleEndian.AppendUint64(entries, uint64(off))
		entries = binary.LittleEndian.AppendUint64(entries, uint64(len(b)-off))
		entries = binary.LittleEndian.AppendUint16(entries, r.typ)
		entries = binary.LittleEndian.AppendUint16(entries, 0)
		entries = binary.LittleEndian.AppendUint32(entries, uint32(reg))
		entries = binary.LittleEndian.AppendUint64(entries, start)
		entries = binary.LittleEndian.AppendUint64(entries, end)
		n++
	}
	if !index {
		return b
	}
	ip := binary.LittleEndian.AppendUint64(nil, uint64(n))
	return appendIndexAndTrailer(b, append(ip, entries...))
}

// appendIndexAndTrailer appends an index record with payload ip and a
// trailer that locates it, with the SHA-256 of everything before it.
func appendIndexAndTrailer(b, ip []byte) []byte {
	off := len(b)
	b = appendFrame(b, faultRec{typ: fRecIndex, payload: ip})
	tp := binary.LittleEndian.AppendUint64(nil, uint64(off))
	tp = binary.LittleEndian.AppendUint64(tp, uint64(len(b)-off))
	sum := sha256.Sum256(b)
	tp = append(tp, sum[:]...)
	return appendFrame(b, faultRec{typ: fRecTrailer, payload: tp})
}

// chunkHeadEnd is the offset of a chunk's head_sum in its payload.
func chunkHeadEnd(p []byte) int { return 28 + 9*int(faultU32(p, 16)) }

// fixChunkHead recomputes a chunk's head_sum after its header changed.
func fixChunkHead(p []byte) {
	if e := chunkHeadEnd(p); e >= 0 && e+8 <= len(p) {
		binary.LittleEndian.PutUint64(p[e:], xxhash.Sum64(p[:e]))
	}
}
