package search

import "github.com/procsnap/procsnap/format"

// scanStep is how many new bytes a windowScan gathers before it searches.
const scanStep = 1 << 20

// windowScan runs a finder over a piece as a stream. It copies contiguous
// data runs into a window and searches the window each time scanStep new
// bytes are in, keeping the bytes a later search needs (context before a
// match, the regex look-behind) and holding back the starts whose match or
// context could run past the window's end. A segment (a contiguous run of
// data bytes) ends at any page that is not data; matches never cross one.
type windowScan struct {
	w      *worker
	f      finder
	lits   literalSet // the literals, for the encoding of a hit
	ctxN   int        // context bytes wanted on each side
	behind int        // look-behind handed to the finder (regex)
	after  int        // bytes after a start that settle its match and context

	p    *piece
	buf  []byte
	addr uint64 // address of buf[0]
	seg  uint64 // where the current segment starts
	open bool   // a segment is in buf
	next uint64 // the first start not yet searched
	hits []hit
}

func newWindowScan(w *worker, q *Query, ctxN int) *windowScan {
	s := &windowScan{w: w, ctxN: ctxN}
	switch q.kind {
	case KindRegex:
		s.f = regexFinder{re: q.re, maxLen: q.maxLen}
		s.behind = q.maxLen
		s.after = q.maxLen + ctxN
	default:
		s.f, s.lits = q.lits, q.lits
		s.after = q.maxMatch() - 1 + ctxN
	}
	return s
}

func (s *windowScan) reset(p *piece) {
	s.p, s.open, s.next, s.buf = p, false, p.start, s.buf[:0]
}

// readStart reads the regex look-behind with the piece, so that assertions
// such as \b see the byte before the piece.
func (s *windowScan) readStart() uint64 {
	start, g := s.p.start, s.p.g
	if s.behind == 0 {
		return start
	}
	return start - min(uint64(s.behind+s.ctxN), start-g.Desc.Start)
}

func (s *windowScan) end() uint64 { return s.addr + uint64(len(s.buf)) }

func (s *windowScan) feed(run format.Run) {
	if run.State != format.PageData || run.Data == nil {
		s.close()
		return
	}
	if !s.open || run.Start != s.end() {
		s.close()
		s.open, s.addr, s.seg, s.buf = true, run.Start, run.Start, s.buf[:0]
	}
	s.buf = append(s.buf, run.Data...)
	if lo := max(s.next, s.addr); s.end() > lo && s.end()-lo >= uint64(scanStep+s.after) {
		s.scan(false)
	}
}

// wantMore asks for the bytes after the piece when the last segment
// reaches the piece end and a match starting before it could need them.
func (s *windowScan) wantMore() (uint64, bool) {
	pe, g := s.p.end, s.p.g
	if !s.open || s.end() != pe || pe >= g.Desc.End {
		return 0, false
	}
	s.scan(false)
	from := max(s.next, s.addr)
	if from >= pe {
		return 0, false
	}
	found := false
	for _, c := range s.buf[from-s.addr:] {
		if s.f.candidate(c) {
			found = true
			break
		}
	}
	return pe + min(uint64(s.after), g.Desc.End-pe), found
}

func (s *windowScan) feedAfter(run format.Run) bool {
	if run.State != format.PageData || run.Data == nil || !s.open || run.Start != s.end() {
		return false
	}
	s.buf = append(s.buf, run.Data...)
	return s.end() < s.p.end+uint64(s.after)
}

func (s *windowScan) finish() { s.close() }

// close searches what is left of the segment and ends it.
func (s *windowScan) close() {
	if s.open {
		s.scan(true)
		s.open = false
	}
}

// scan searches the starts from next up to the last one that is settled
// (final: the end of the segment), and slides the window.
func (s *windowScan) scan(final bool) {
	hi := s.end()
	if !final {
		if hi < uint64(s.after) {
			return
		}
		hi -= uint64(s.after)
	}
	hi = min(hi, s.p.end)
	lo := max(s.next, s.addr)
	if lo < hi {
		from, to := int(lo-s.addr), int(hi-s.addr)
		ws := max(0, from-s.behind)
		s.hits = s.f.find(s.buf[ws:], from-ws, to-ws, s.hits[:0])
		for _, h := range s.hits {
			s.report(s.addr+uint64(ws+h.start), h.end-h.start, h.id)
		}
		s.next = hi
	}
	if !final {
		s.slide()
	}
}

// slide drops the bytes no later search or context needs.
func (s *windowScan) slide() {
	keep := uint64(max(s.ctxN, s.behind))
	if s.next <= s.addr || s.next-s.addr <= keep {
		return
	}
	drop := int(min(s.next-s.addr-keep, uint64(len(s.buf))))
	n := copy(s.buf, s.buf[drop:])
	s.buf = s.buf[:n]
	s.addr += uint64(drop)
}

// report emits the match at addr with its context.
func (s *windowScan) report(addr uint64, n, id int) {
	want := addr - min(addr, uint64(s.ctxN))
	cs := max(want, s.addr)
	e := addr + uint64(n)
	ce := e + min(uint64(s.ctxN), s.end()-e) // no overflow at the top of the address space
	ctx := make([]byte, 0, int(ce-cs)+int(cs-want))
	if cs > want && cs == s.seg && s.seg == s.p.start {
		pre := s.w.prefix(s.ctxN)
		ctx = append(ctx, pre[len(pre)-min(len(pre), int(cs-want)):]...)
	}
	cstart := cs - uint64(len(ctx))
	ctx = append(ctx, s.buf[cs-s.addr:ce-s.addr]...)
	m := Match{Addr: addr, Len: n, Region: s.p.g, ContextAddr: cstart, Context: ctx}
	if s.lits != nil {
		m.Encoding = s.lits[id].enc
	}
	s.w.emit(m)
}
