package capture

import (
	"crypto/rand"
	"encoding/binary"
	"sort"

	"github.com/minio/highwayhash"
)

// keyedHashName is recorded in the freeze record.
const keyedHashName = "highwayhash-64"

// keyedHash fingerprints pages for the comparison between the pre-copy and
// the final pass. Its key is random per capture and never leaves procsnap's
// memory, so the target, which chooses its page contents, cannot make a
// changed page look unchanged (HighwayHash is a keyed hash built for this;
// an unkeyed or seeded checksum such as xxh64 is not).
type keyedHash struct {
	key    []byte
	zero   uint64 // fingerprint of an all-zero page
	domain [8]byte
}

func newKeyedHash(pageSize int) (*keyedHash, error) {
	k := &keyedHash{key: make([]byte, 32)}
	if _, err := rand.Read(k.key); err != nil {
		return nil, err
	}
	k.zero = k.page(make([]byte, pageSize))
	return k, nil
}

// page is the fingerprint of one page's bytes.
func (k *keyedHash) page(p []byte) uint64 { return highwayhash.Sum64(p, k.key) }

// unreadable is the fingerprint of a page whose read failed with errno: a
// page that fails the same way in both passes is unchanged. (Its input is
// 12 bytes, never a page, so it does not stand for any page's content.)
func (k *keyedHash) unreadable(errno uint32) uint64 {
	var b [12]byte
	copy(b[:], "unrd")
	binary.LittleEndian.PutUint64(b[4:], uint64(errno))
	return highwayhash.Sum64(b[:], k.key)
}

// fingerprints is what the pre-copy saw, by address: one fingerprint per
// page it read (or found unreadable), and runs it knew to be zero without
// reading. Runs are added in address order and never overlap. Pages it
// has no run for (not captured) have no fingerprint and always count as
// changed.
type fingerprints struct {
	runs []fpRun
	zero uint64 // the fingerprint of a zero page
}

type fpRun struct {
	start, end uint64
	fps        []uint64 // one per page; nil: every page is zero
}

func (f *fingerprints) add(r fpRun) {
	if r.end > r.start {
		f.runs = append(f.runs, r)
	}
}

// bytes is the memory the fingerprints take.
func (f *fingerprints) bytes() int64 {
	var n int64
	for _, r := range f.runs {
		n += int64(8*len(r.fps)) + 32
	}
	return n
}

// cursor returns a reader of the fingerprints from addr on, for a walk in
// increasing address order. It is safe to use many at once.
func (f *fingerprints) cursor(addr uint64) fpCursor {
	i := sort.Search(len(f.runs), func(i int) bool { return f.runs[i].end > addr })
	return fpCursor{f: f, i: i}
}

type fpCursor struct {
	f *fingerprints
	i int
}

// at returns the pre-copy fingerprint of the page at addr (which must not
// go back), and whether the pre-copy has one.
func (c *fpCursor) at(addr, pageSize uint64) (uint64, bool) {
	r, ok := c.run(addr)
	if !ok {
		return 0, false
	}
	if r.fps == nil {
		return c.f.zero, true
	}
	return r.fps[(addr-r.start)/pageSize], true
}

// run returns the run that holds addr (which must not go back), if any.
func (c *fpCursor) run(addr uint64) (*fpRun, bool) {
	runs := c.f.runs
	for c.i < len(runs) && runs[c.i].end <= addr {
		c.i++
	}
	if c.i == len(runs) || runs[c.i].start > addr {
		return nil, false
	}
	return &runs[c.i], true
}

// nextStart is where the next run begins (after a run call that found
// none), or the end of the address space.
func (c *fpCursor) nextStart() uint64 {
	if c.i < len(c.f.runs) {
		return c.f.runs[c.i].start
	}
	return ^uint64(0)
}
