package search

// lane finds the printable runs of one encoding as data is fed to it in
// address order: ASCII (one byte a character) or UTF-16LE at one address
// parity (a printable byte then a zero byte). A run may go on from one fed
// slice to the next; end breaks it (a page that is not data).
//
// Runs are owned by the piece where they start: a run that starts before
// own is tracked (so that its tail is not taken for a new run) but not
// reported, and no run starts at or after limit, though one begun before it
// is followed to its end.
type lane struct {
	enc    Encoding
	wide   bool
	phase  uint64 // wide: the parity of its characters' addresses
	minLen int
	maxLen int
	own    uint64
	limit  uint64

	inRun bool
	start uint64 // of the open run
	n     int    // characters in the open run
	raw   []byte // the bytes of its first maxLen characters
	// A wide character whose second byte is in the next slice.
	pend     bool
	pendByte byte
	pendAddr uint64

	done []strRun // closed, owned runs of at least minLen characters
	// direct, when set, takes closed runs at once instead of done (a lane
	// alone needs no merging with others).
	direct func(l *lane, r strRun)
	bits   []uint64 // printable bitmap of the slice being fed
	head   int      // done[:head] have been released
	arena  *arena   // where the bytes of closed runs are kept
}

// strRun is a closed printable run: n characters at start, raw holding
// the bytes of the first of them.
type strRun struct {
	start uint64
	n     int
	raw   []byte
}

// unit is the number of bytes of a character.
func (l *lane) unit() int {
	if l.wide {
		return 2
	}
	return 1
}

func (l *lane) reset(own, limit uint64) {
	l.own, l.limit = own, limit
	l.inRun, l.pend, l.done, l.head = false, false, l.done[:0], 0
}

// busy reports whether the lane needs more bytes to settle an owned run.
func (l *lane) busy() bool {
	return (l.inRun && l.start >= l.own) || (l.pend && l.pendAddr < l.limit)
}

// low is the lowest address where a run still open could start.
func (l *lane) low() (uint64, bool) {
	switch {
	case l.inRun:
		return l.start, true
	case l.pend:
		return l.pendAddr, true
	}
	return 0, false
}

// end closes the open run: the data stops here.
func (l *lane) end() {
	l.pend = false
	l.close()
}

// open starts a run of n characters at addr whose bytes begin raw.
func (l *lane) open(addr uint64, n int, raw []byte) {
	l.inRun, l.start, l.n = true, addr, 0
	l.raw = l.raw[:0]
	l.extend(n, raw)
}

// extend adds n characters, whose bytes begin raw, to the open run.
func (l *lane) extend(n int, raw []byte) {
	l.n += n
	if room := l.maxLen*l.unit() - len(l.raw); room > 0 {
		l.raw = append(l.raw, raw[:min(room, len(raw))]...)
	}
}

func (l *lane) close() {
	if !l.inRun {
		return
	}
	l.inRun = false
	if l.n >= l.minLen && l.start >= l.own {
		l.record(strRun{start: l.start, n: l.n, raw: l.arena.copy(l.raw)})
	}
}

// emitRun records a run found whole inside one slice, raw holding its
// bytes.
func (l *lane) emitRun(addr uint64, n int, raw []byte) {
	if n >= l.minLen && addr >= l.own {
		raw = raw[:min(len(raw), l.maxLen*l.unit())]
		l.record(strRun{start: addr, n: n, raw: l.arena.copy(raw)})
	}
}

func (l *lane) record(r strRun) {
	if l.direct != nil {
		l.direct(l, r)
		return
	}
	l.done = append(l.done, r)
}

// feed processes the bytes b at address base.
func (l *lane) feed(b []byte, base uint64) {
	if l.wide {
		l.feedWide(b, base)
	} else {
		l.feedASCII(b, base)
	}
}

// openEnd is the number of units of a slice of n units at unit addresses
// base, base+step, ... that are before the lane's limit.
func (l *lane) openEnd(base uint64, n int, step uint64) int {
	if l.limit <= base {
		return 0
	}
	return int(min(uint64(n), (l.limit-base+step-1)/step))
}

// feedASCII looks for runs of at least minLen printable bytes, first
// following a run open from the slice before.
func (l *lane) feedASCII(b []byte, base uint64) {
	i, n := 0, len(b)
	l.bits = printableBits(l.bits, b)
	if l.inRun {
		i = nextClear(l.bits, 0, n)
		l.extend(i, b[:i])
		if i == n {
			return
		}
		l.close()
		i++
	}
	if lim := l.openEnd(base, n, 1); i < lim {
		l.scanRuns(units{raw: b, w: 1, base: base}, l.bits, n, i, lim)
	}
}

// feedWide looks for runs of UTF-16LE characters at the lane's parity. A
// character split between two slices is kept pending until the next one.
func (l *lane) feedWide(b []byte, base uint64) {
	if len(b) == 0 {
		return
	}
	i := int((base ^ l.phase) & 1) // offset of the first character in b
	if l.pend {
		l.pend = false
		l.step(printable[l.pendByte] && b[0] == 0, l.pendAddr, l.pendByte)
		i = 1
	}
	n := (len(b) - i) / 2
	l.wideUnits(units{raw: b[i : i+2*n], w: 2, base: base + uint64(i)}, n)
	if i+2*n < len(b) {
		l.pend, l.pendByte, l.pendAddr = true, b[len(b)-1], base+uint64(len(b)-1)
	}
}

// step handles one character split between two slices.
func (l *lane) step(ok bool, addr uint64, c byte) {
	switch {
	case l.inRun && ok:
		l.extend(1, []byte{c, 0})
	case l.inRun:
		l.close()
	case ok && addr < l.limit:
		l.open(addr, 1, []byte{c, 0})
	}
}

// wideUnits follows an open run, then finds the runs among n UTF-16LE
// characters.
func (l *lane) wideUnits(u units, n int) {
	l.bits = wideBits(l.bits, u.raw, n)
	k := 0
	if l.inRun {
		k = nextClear(l.bits, 0, n)
		l.extend(k, u.bytes(0, k))
		if k == n {
			return
		}
		l.close()
		k++
	}
	if lim := l.openEnd(u.base, n, 2); k < lim {
		l.scanRuns(u, l.bits, n, k, lim)
	}
}

// arena hands out copies of small byte slices carved from large blocks, so
// that a search finding millions of strings does not allocate for each. A
// copy is never written again; a block lives as long as any of its copies.
type arena struct{ block []byte }

const arenaBlock = 64 << 10

func (a *arena) copy(b []byte) []byte {
	if len(b) > cap(a.block)-len(a.block) {
		if len(b) > arenaBlock/4 {
			return append([]byte(nil), b...)
		}
		a.block = make([]byte, 0, arenaBlock)
	}
	n := len(a.block)
	a.block = append(a.block, b...)
	return a.block[n : n+len(b) : n+len(b)]
}
