package format

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/zstd"
)

// Chunk record payload (docs/FORMAT.md, "chunk"):
//
//	region u32 | flags u16 | reserved u16 | start u64 | npages u32 |
//	states [npages]u8 | hashes [npages]u64 | rawLen u32 | storedLen u32 |
//	headSum u64 | stored [storedLen]byte
//
// Only data pages are stored, in address order; zero pages are not.
const chunkFlagZstd = 1

func chunkHeadLen(npages int) int { return 36 + 9*npages }

// chunkHead is a parsed chunk header: everything but the stored bytes.
type chunkHead struct {
	Region     int
	Compressed bool
	Start      uint64
	States     []PageState
	Hashes     []uint64
	RawLen     uint32
	StoredLen  uint32
}

// pageHasher computes the hash of a zero page of one size once.
type zeroPages struct {
	mu    sync.Mutex
	pages map[int][]byte
	hash  map[int]uint64
}

var zeros = zeroPages{pages: map[int][]byte{}, hash: map[int]uint64{}}

func (z *zeroPages) get(size int) ([]byte, uint64) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if p, ok := z.pages[size]; ok {
		return p, z.hash[size]
	}
	p := make([]byte, size)
	z.pages[size], z.hash[size] = p, xxhash.Sum64(p)
	return p, z.hash[size]
}

// ZeroPageHash is the hash of an all-zero page of the given size.
func ZeroPageHash(pageSize int) uint64 { _, h := zeros.get(pageSize); return h }

// PageHash is the one page-hash function of the format: xxh64, seed 0.
func PageHash(page []byte) uint64 { return xxhash.Sum64(page) }

// chunkEncoder turns page-aligned data into chunk records. One per worker.
type chunkEncoder struct {
	pageSize int
	zenc     *zstd.Encoder
	gather   []byte // data pages of a chunk that has zero pages
}

// encode builds the chunk record for data at start into dst and returns it
// with the page states and hashes.
func (c *chunkEncoder) encode(dst []byte, typ recType, region int, start uint64, data []byte) ([]byte, []PageState, []uint64) {
	n := len(data) / c.pageSize
	zpage, zhash := zeros.get(c.pageSize)
	states := make([]PageState, n)
	hashes := make([]uint64, n)
	zeroCount := 0
	for i := range n {
		p := data[i*c.pageSize : (i+1)*c.pageSize]
		if bytes.Equal(p, zpage) {
			states[i], hashes[i] = PageZero, zhash
			zeroCount++
			continue
		}
		hashes[i] = xxhash.Sum64(p)
	}
	raw := data
	if zeroCount > 0 {
		c.gather = c.gather[:0]
		for i, s := range states {
			if s == PageData {
				c.gather = append(c.gather, data[i*c.pageSize:(i+1)*c.pageSize]...)
			}
		}
		raw = c.gather
	}
	// Compress straight into the record after the room kept for the record
	// and chunk headers; store raw bytes when compression does not shrink.
	headEnd := len(dst) + recHeaderLen + chunkHeadLen(n)
	rec := slices.Grow(dst, headEnd-len(dst)+len(raw)+recSumLen)[:headEnd]
	flags := uint16(0)
	if len(raw) > 0 {
		rec = c.zenc.EncodeAll(raw, rec)
		if len(rec)-headEnd < len(raw) {
			flags = chunkFlagZstd
		} else {
			rec = append(rec[:headEnd], raw...)
		}
	}
	return finishChunkRecord(rec, len(dst), typ, region, flags, start, states, hashes, len(raw)), states, hashes
}

// appendChunkRecord appends a whole chunk record whose stored bytes are
// given (used to build records by hand in tests).
func appendChunkRecord(dst []byte, region int, flags uint16, start uint64, states []PageState, hashes []uint64, rawLen int, stored []byte) []byte {
	recStart := len(dst)
	dst = append(dst, make([]byte, recHeaderLen+chunkHeadLen(len(states)))...)
	dst = append(dst, stored...)
	return finishChunkRecord(dst, recStart, recChunk, region, flags, start, states, hashes, rawLen)
}

// finishChunkRecord fills in the record and chunk headers in front of the
// stored bytes already in rec[recStart+recHeaderLen+chunkHeadLen:], and
// appends the record checksum.
func finishChunkRecord(rec []byte, recStart int, typ recType, region int, flags uint16, start uint64, states []PageState, hashes []uint64, rawLen int) []byte {
	headStart := recStart + recHeaderLen
	storedLen := len(rec) - headStart - chunkHeadLen(len(states))
	h := rec[recStart:recStart]
	h = append(h, recordMagic...)
	h = binary.LittleEndian.AppendUint16(h, uint16(typ))
	h = binary.LittleEndian.AppendUint16(h, 0)
	h = binary.LittleEndian.AppendUint64(h, uint64(len(rec)-headStart))
	h = binary.LittleEndian.AppendUint32(h, uint32(region))
	h = binary.LittleEndian.AppendUint16(h, flags)
	h = binary.LittleEndian.AppendUint16(h, 0)
	h = binary.LittleEndian.AppendUint64(h, start)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(states)))
	for _, s := range states {
		h = append(h, byte(s))
	}
	for _, x := range hashes {
		h = binary.LittleEndian.AppendUint64(h, x)
	}
	h = binary.LittleEndian.AppendUint32(h, uint32(rawLen))
	h = binary.LittleEndian.AppendUint32(h, uint32(storedLen))
	binary.LittleEndian.AppendUint64(h, chunkHeadSum(h[recHeaderLen:]))
	return binary.LittleEndian.AppendUint64(rec, xxhash.Sum64(rec[recStart:]))
}

// chunkHeadSum is the head_sum of a chunk whose fields before it are head.
func chunkHeadSum(head []byte) uint64 { return xxhash.Sum64(head) }

// parseChunkHead parses and checks a chunk header from the start of a chunk
// record's payload (p may hold only the header). It checks the header's own
// checksum, so page hashes can be trusted without reading the stored bytes.
func parseChunkHead(p []byte, pageSize, chunkSize int) (chunkHead, error) {
	d := dec{b: p}
	h := chunkHead{Region: int(d.u32())}
	flags := d.u16()
	d.u16()
	h.Start = d.u64()
	n := d.u32()
	if d.err != nil {
		return h, d.err
	}
	if int64(n)*int64(pageSize) > int64(chunkSize) || n == 0 {
		return h, fmt.Errorf("chunk claims %d pages; a chunk holds 1 to %d", n, chunkSize/pageSize)
	}
	if flags&^chunkFlagZstd != 0 {
		return h, fmt.Errorf("chunk has unknown flags %#x", flags)
	}
	h.Compressed = flags&chunkFlagZstd != 0
	states := d.take(int(n))
	hashes := d.take(8 * int(n))
	h.RawLen, h.StoredLen = d.u32(), d.u32()
	sumEnd := d.off
	sum := d.u64()
	if d.err != nil {
		return h, d.err
	}
	if got := chunkHeadSum(p[:sumEnd]); got != sum {
		return h, fmt.Errorf("chunk header checksum mismatch (stored %016x, computed %016x)", sum, got)
	}
	h.States = make([]PageState, n)
	h.Hashes = make([]uint64, n)
	data := 0
	for i := range h.States {
		h.States[i] = PageState(states[i])
		h.Hashes[i] = binary.LittleEndian.Uint64(hashes[8*i:])
		switch h.States[i] {
		case PageData:
			data++
		case PageZero:
		default:
			return h, fmt.Errorf("chunk page %d has state %d; chunks hold only data and zero pages", i, states[i])
		}
	}
	if int64(h.RawLen) != int64(data)*int64(pageSize) {
		return h, fmt.Errorf("chunk raw length %d does not match its %d data pages", h.RawLen, data)
	}
	if !h.Compressed && h.StoredLen != h.RawLen {
		return h, fmt.Errorf("uncompressed chunk stores %d bytes for %d raw", h.StoredLen, h.RawLen)
	}
	return h, nil
}

// chunkBytes decodes a chunk's stored bytes and checks every page hash.
// With expand it returns the chunk's full contents (zero pages as zeros);
// without, only the data pages, back to back (enough for verification).
// One buffer of the chunk's size is used (scratch when it is large enough,
// else a new one); data pages are decoded into its start and moved to
// their places from the last one down.
func chunkBytes(h chunkHead, stored []byte, pageSize int, zdec *zstd.Decoder, expand bool, scratch []byte) ([]byte, error) {
	if len(stored) != int(h.StoredLen) {
		return nil, fmt.Errorf("chunk stores %d bytes, header says %d", len(stored), h.StoredLen)
	}
	size := int(h.RawLen)
	if expand {
		size = len(h.States) * pageSize
	}
	buf := scratch[:0]
	if cap(buf) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	raw := buf[:h.RawLen]
	if h.Compressed {
		got, err := zdec.DecodeAll(stored, buf[:0:h.RawLen])
		if err != nil {
			return nil, fmt.Errorf("decompress chunk: %w", err)
		}
		if len(got) != int(h.RawLen) || (len(got) > 0 && &got[0] != &buf[0]) {
			return nil, fmt.Errorf("chunk decompresses to %d bytes, header says %d", len(got), h.RawLen)
		}
	} else {
		copy(raw, stored)
	}
	k := 0
	for i, s := range h.States {
		if s != PageData {
			continue
		}
		if got := xxhash.Sum64(raw[k*pageSize : (k+1)*pageSize]); got != h.Hashes[i] {
			return nil, fmt.Errorf("page %d (address %#x) hash mismatch (stored %016x, computed %016x)",
				i, h.Start+uint64(i*pageSize), h.Hashes[i], got)
		}
		k++
	}
	if !expand {
		return raw, nil
	}
	for i := len(h.States) - 1; i >= 0; i-- { // k data pages sit at the start
		page := buf[i*pageSize : (i+1)*pageSize]
		if h.States[i] != PageData {
			clear(page)
			continue
		}
		k--
		if k != i {
			copy(page, buf[k*pageSize:(k+1)*pageSize])
		}
	}
	return buf, nil
}
