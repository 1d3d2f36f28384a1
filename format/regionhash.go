package format

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
)

// regionHasher computes a region hash: xxh64 over the run-length encoding
// of the region's page hashes in address order, each run as its hash and
// its page count (8 little-endian bytes each). Runs are maximal, so the
// result does not depend on how the pages were split into chunks and fills,
// and a fill of any size costs O(1): a 16 TiB sparse reservation hashes as
// fast as one page.
type regionHasher struct {
	d     *xxhash.Digest
	cur   uint64
	count uint64
}

func newRegionHasher() *regionHasher { return &regionHasher{d: xxhash.New()} }

func (h *regionHasher) reset() {
	h.d.Reset()
	h.cur, h.count = 0, 0
}

// add appends count pages whose hash is hash.
func (h *regionHasher) add(hash, count uint64) {
	if count == 0 {
		return
	}
	if h.count > 0 && hash == h.cur {
		h.count += count
		return
	}
	h.flush()
	h.cur, h.count = hash, count
}

func (h *regionHasher) flush() {
	if h.count == 0 {
		return
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], h.cur)
	binary.LittleEndian.PutUint64(b[8:], h.count)
	h.d.Write(b[:])
	h.count = 0
}

// sum is the region hash of the pages added so far.
func (h *regionHasher) sum() uint64 {
	h.flush()
	return h.d.Sum64()
}
