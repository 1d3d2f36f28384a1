package search

import (
	"math"

	"github.com/procsnap/procsnap/format"
)

// stringScan finds printable strings in a piece: one lane for ASCII and,
// for wide strings, one for UTF-16LE at each address parity. A string that
// begins in the piece is followed past its end; one that reaches the
// piece's start from before belongs to the piece before.
type stringScan struct {
	w     *worker
	wide  bool
	lanes []*lane
	p     *piece
	pos   uint64 // end of the data fed so far
	open  bool   // a segment is being fed
}

func newStringScan(w *worker, q *Query) *stringScan {
	s := &stringScan{w: w, wide: q.wide}
	a := &arena{}
	s.lanes = append(s.lanes, &lane{enc: EncodingASCII, minLen: q.minLen, maxLen: q.maxLen, arena: a})
	if q.wide {
		for phase := range uint64(2) {
			s.lanes = append(s.lanes, &lane{enc: EncodingUTF16LE, wide: true, phase: phase, minLen: q.minLen, maxLen: q.maxLen, arena: a})
		}
	} else {
		s.lanes[0].direct = s.emit
	}
	return s
}

func (s *stringScan) reset(p *piece) {
	s.p, s.open, s.pos = p, false, 0
	for _, l := range s.lanes {
		l.reset(p.start, p.end)
	}
}

func (s *stringScan) readStart() uint64 { return s.p.start }

func (s *stringScan) feed(run format.Run) {
	if run.State != format.PageData || run.Data == nil {
		s.breakRuns()
		return
	}
	if !s.open || run.Start != s.pos {
		s.breakRuns()
		s.open = true
		if run.Start == s.p.start {
			s.lookBehind(run.Data)
		}
	}
	s.feedLanes(run)
}

// lookBehind feeds the lanes the two bytes before the piece when a string
// could reach into the piece from there, so that its tail is not reported
// as a string of its own.
func (s *stringScan) lookBehind(b []byte) {
	if len(b) == 0 || !(printable[b[0]] || (s.wide && b[0] == 0)) {
		return
	}
	pre := s.w.prefix(2)
	if len(pre) == 0 {
		return
	}
	at := s.p.start - uint64(len(pre))
	for _, l := range s.lanes {
		l.feed(pre, at)
	}
}

func (s *stringScan) feedLanes(run format.Run) {
	for _, l := range s.lanes {
		l.feed(run.Data, run.Start)
	}
	s.pos = run.End
	s.release(false)
}

func (s *stringScan) breakRuns() {
	for _, l := range s.lanes {
		l.end()
	}
	s.open = false
}

func (s *stringScan) busy() bool {
	for _, l := range s.lanes {
		if l.busy() {
			return true
		}
	}
	return false
}

// wantMore follows a string that is still open at the piece end.
func (s *stringScan) wantMore() (uint64, bool) {
	g := s.p.g
	if !s.open || s.pos != s.p.end || s.p.end >= g.Desc.End {
		return 0, false
	}
	return g.Desc.End, s.busy()
}

func (s *stringScan) feedAfter(run format.Run) bool {
	if run.State != format.PageData || run.Data == nil || !s.open || run.Start != s.pos {
		return false
	}
	s.feedLanes(run)
	return s.busy()
}

func (s *stringScan) finish() {
	s.breakRuns()
	s.release(true)
}

// release emits, in address order, the closed strings that start below
// every string still open (all of them when final).
func (s *stringScan) release(final bool) {
	mark := uint64(math.MaxUint64)
	if !final {
		mark = s.pos
		for _, l := range s.lanes {
			if a, ok := l.low(); ok {
				mark = min(mark, a)
			}
		}
	}
	for {
		var best *lane
		for _, l := range s.lanes {
			if l.head < len(l.done) && l.done[l.head].start < mark && (best == nil || l.done[l.head].start < best.done[best.head].start) {
				best = l
			}
		}
		if best == nil {
			break
		}
		s.emit(best, best.done[best.head])
		best.head++
	}
	for _, l := range s.lanes {
		if l.head == len(l.done) {
			clear(l.done) // drop the texts
			l.done, l.head = l.done[:0], 0
		}
	}
}

func (s *stringScan) emit(l *lane, r strRun) {
	s.w.emit(Match{Addr: r.start, Len: r.n * l.unit(), Region: s.p.g, Encoding: l.enc, str: true,
		Truncated: r.n*l.unit() > len(r.raw), ContextAddr: r.start, Context: r.raw})
}
