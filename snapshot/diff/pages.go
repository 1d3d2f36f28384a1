package diff

import (
	"bytes"
	"context"
	"fmt"
	"math"

	"github.com/procsnap/procsnap/format"
)

// seg is what one snapshot says about the addresses [at, end) of a
// region, where at is the address it was asked about: one page of a chunk,
// or a whole fill.
type seg struct {
	end    uint64
	absent bool // past the region's end: the region is shorter here
	state  format.PageState
	errno  uint32 // unreadable pages
	hash   uint64 // data and zero pages
}

func (s seg) hashed() bool {
	return !s.absent && (s.state == format.PageData || s.state == format.PageZero)
}

// cursor walks one region's pages in address order. It reads chunk headers
// only, and a chunk's bytes only when asked for them (strict mode).
type cursor struct {
	r     *format.Reader
	g     *format.Region
	spans []format.Span
	i     int
	info  *format.ChunkInfo // header of spans[i] when it is a chunk
	// data holds the decoded bytes of [dataLo, dataHi) (strict mode).
	data           []byte
	dataLo, dataHi uint64
	ps             uint64
	zhash          uint64
	zeros          []byte
}

func newCursor(r *format.Reader, g *format.Region) *cursor {
	return &cursor{r: r, g: g, spans: g.Spans(), ps: uint64(r.PageSize()), zhash: format.ZeroPageHash(r.PageSize())}
}

// at describes the region from addr on; addr never goes backwards.
func (c *cursor) at(addr uint64) (seg, error) {
	for c.i < len(c.spans) && c.spans[c.i].End <= addr {
		c.i++
		c.info = nil
	}
	if c.i == len(c.spans) {
		return seg{end: math.MaxUint64, absent: true}, nil
	}
	s := c.spans[c.i]
	if addr < s.Start { // Spans covers the region without gaps; be safe anyway
		return seg{end: s.Start, state: format.PageNotCaptured}, nil
	}
	if !s.IsChunk() {
		sg := seg{end: s.End, state: s.State, errno: s.Errno}
		if s.State == format.PageZero {
			sg.hash = c.zhash
		}
		return sg, nil
	}
	if c.info == nil {
		if err := c.loadInfo(s); err != nil {
			return seg{}, err
		}
	}
	k := (addr - s.Start) / c.ps
	sg := seg{end: min(s.Start+(k+1)*c.ps, s.End), state: c.info.States[k], hash: c.info.Hashes[k]}
	if sg.state == format.PageZero {
		sg.hash = c.zhash // a zero page's content is zeros, whatever hash is stored
	}
	return sg, nil
}

func (c *cursor) loadInfo(s format.Span) error {
	info, err := c.r.ChunkInfo(c.g, s)
	if err != nil {
		return fmt.Errorf("region %d (%#x-%#x): %w", c.g.Desc.Index, c.g.Desc.Start, c.g.Desc.End, err)
	}
	n := (s.End - s.Start) / c.ps
	if uint64(len(info.States)) != n || len(info.Hashes) != len(info.States) {
		return fmt.Errorf("region %d: chunk at %#x describes %d pages, its span %#x-%#x holds %d",
			c.g.Desc.Index, s.Start, len(info.States), s.Start, s.End, n)
	}
	c.info = &info
	return nil
}

// bytes returns the contents of [addr, end) of a data or zero seg: zeros
// for zero pages, else the decoded chunk (every page hash checked).
func (c *cursor) bytes(sg seg, addr, end uint64) ([]byte, error) {
	if sg.state == format.PageZero {
		if uint64(len(c.zeros)) < end-addr {
			c.zeros = make([]byte, end-addr)
		}
		return c.zeros[:end-addr], nil
	}
	if addr < c.dataLo || end > c.dataHi {
		if err := c.loadWindow(); err != nil {
			return nil, err
		}
	}
	return c.data[addr-c.dataLo : end-c.dataLo], nil
}

// strictWindow bounds the bytes decoded by one ReadRange call. Decoding
// several chunks per call keeps the number of calls (each walks the
// region's spans) proportional to the region's size over the window. A
// variable so that tests can make windows small.
var strictWindow uint64 = 8 << 20

// loadWindow decodes the current span and the spans after it, up to
// strictWindow bytes (at least the current span).
func (c *cursor) loadWindow() error {
	lo, hi := c.spans[c.i].Start, c.spans[c.i].End
	for j := c.i + 1; j < len(c.spans) && c.spans[j].End-lo <= strictWindow; j++ {
		hi = c.spans[j].End
	}
	n := hi - lo
	if uint64(cap(c.data)) < n {
		c.data = make([]byte, n)
	}
	c.data = c.data[:n]
	clear(c.data)
	err := c.r.ReadRange(c.g, lo, hi, func(run format.Run) error {
		copy(c.data[run.Start-lo:], run.Data)
		return nil
	})
	if err != nil {
		c.dataLo, c.dataHi = 0, 0
		return fmt.Errorf("region %d (%#x-%#x): %w", c.g.Desc.Index, c.g.Desc.Start, c.g.Desc.End, err)
	}
	c.dataLo, c.dataHi = lo, hi
	return nil
}

// compareRegion compares two regions with the same start, page by page
// over the union of their extents.
func compareRegion(ctx context.Context, older, newer *format.Reader, a, b *format.Region, opts Options) (Region, error) {
	d := Region{Old: &a.Desc, New: &b.Desc, Changes: descChanges(&a.Desc, &b.Desc)}
	ca, cb := newCursor(older, a), newCursor(newer, b)
	rs := ranges{ps: uint64(older.PageSize())}
	end := max(a.Desc.End, b.Desc.End)
	for addr, n := a.Desc.Start, 0; addr < end; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return d, fmt.Errorf("diff interrupted: %w", ctx.Err())
		}
		x, err := ca.at(addr)
		if err != nil {
			return d, fmt.Errorf("old snapshot: %w", err)
		}
		y, err := cb.at(addr)
		if err != nil {
			return d, fmt.Errorf("new snapshot: %w", err)
		}
		next := min(x.end, y.end, end)
		if next <= addr {
			return d, fmt.Errorf("region %d: spans do not advance past %#x (corrupt archive)", a.Desc.Index, addr)
		}
		c, err := comparePages(ca, cb, x, y, addr, next, opts.Strict)
		if err != nil {
			return d, err
		}
		if c != 0 {
			d.Changes |= c
			rs.add(addr, next)
		}
		addr = next
	}
	d.Ranges, d.Pages = rs.list, rs.pages()
	if d.Changes != 0 {
		d.Status = Changed
	}
	return d, nil
}

// comparePages compares what the two snapshots say about [addr, next).
func comparePages(ca, cb *cursor, x, y seg, addr, next uint64, strict bool) (Change, error) {
	switch {
	case x.absent || y.absent:
		return ChangeSize, nil
	case x.hashed() && y.hashed():
		if x.hash != y.hash {
			return ChangeContent, nil
		}
		if !strict || (x.state == format.PageZero && y.state == format.PageZero) {
			return 0, nil
		}
		return strictCompare(ca, cb, x, y, addr, next)
	case x.state != y.state:
		return ChangeStates, nil
	case x.state == format.PageUnreadable && x.errno != y.errno:
		return ChangeStates, nil
	}
	return 0, nil // both unreadable with one errno, or both not captured
}

func strictCompare(ca, cb *cursor, x, y seg, addr, next uint64) (Change, error) {
	p, err := ca.bytes(x, addr, next)
	if err != nil {
		return 0, fmt.Errorf("old snapshot: %w", err)
	}
	q, err := cb.bytes(y, addr, next)
	if err != nil {
		return 0, fmt.Errorf("new snapshot: %w", err)
	}
	if !bytes.Equal(p, q) {
		return ChangeContent, nil
	}
	return 0, nil
}

// ranges collects changed ranges rounded out to pages, merging each with
// the one before when they touch or overlap.
type ranges struct {
	ps   uint64
	list []format.Range
}

func (r *ranges) add(lo, hi uint64) {
	lo -= lo % r.ps
	if m := hi % r.ps; m != 0 {
		hi += r.ps - m
	}
	if n := len(r.list); n > 0 && r.list[n-1].End >= lo {
		r.list[n-1].End = max(r.list[n-1].End, hi)
		return
	}
	r.list = append(r.list, format.Range{Start: lo, End: hi})
}

func (r *ranges) pages() uint64 {
	var n uint64
	for _, x := range r.list {
		n += (x.End - x.Start) / r.ps
	}
	return n
}
