package search

import (
	"context"
	"errors"
	"sync"

	"github.com/procsnap/procsnap/format"
)

// errStop ends a ReadRange early once a scanner has what it needs.
var errStop = errors.New("enough read")

const (
	outBatch   = 256 // matches per batch handed to the consumer
	outBatches = 32  // batches a piece may queue before its worker waits
)

// scanner is the per-piece search state of one kind of query. feed gets the
// piece's runs in address order (from before the piece start when the
// scanner's readStart asks for it); when wantMore says so, feedAfter gets
// the runs after the piece end until it returns false.
type scanner interface {
	reset(p *piece)
	readStart() uint64
	feed(run format.Run)
	wantMore() (end uint64, ok bool)
	feedAfter(run format.Run) bool
	finish()
}

// worker searches pieces one at a time; each search goroutine has one.
type worker struct {
	ctx    context.Context
	r      *format.Reader
	p      *piece
	sc     scanner
	batch  *batch
	pre    []byte // bytes just before the piece start, once read
	preOK  bool
	format func([]byte, Match) []byte // Options.Format
}

// run searches one piece and closes its output.
func (w *worker) run(p *piece) {
	defer close(p.out)
	if len(w.batch.ms) > 0 { // left by a piece that stopped short
		recycle(w.batch)
		w.batch = newBatch()
	}
	w.p, w.pre, w.preOK = p, nil, false
	w.sc.reset(p)
	err := w.read(w.sc.readStart(), p.end, func(run format.Run) error {
		w.sc.feed(run)
		return nil
	})
	if err != nil {
		return
	}
	if end, ok := w.sc.wantMore(); ok {
		err := w.read(p.end, end, func(run format.Run) error {
			if !w.sc.feedAfter(run) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return
		}
	}
	w.sc.finish()
	w.flush()
}

// read hands fn the runs of [a, b) of the piece's region. A chunk that
// cannot be read or fails its checks is recorded as a Problem (when the
// piece owns it), handed to fn as an unreadable run, and stepped over.
// Errors from fn and from the context end the read.
func (w *worker) read(a, b uint64, fn func(format.Run) error) error {
	g := w.p.g
	for a < b {
		at := a
		var ferr error
		err := w.r.ReadRange(g, a, b, func(run format.Run) error {
			if ferr = w.ctx.Err(); ferr == nil {
				ferr = fn(run)
			}
			if ferr != nil {
				return ferr
			}
			at = run.End
			return nil
		})
		if ferr != nil {
			return ferr
		}
		if err == nil {
			return nil
		}
		end := b
		if s, ok := spanAt(w.p.spans, at); ok {
			end = min(s.End, b)
		}
		if at >= w.p.start && at < w.p.end {
			w.p.problems = append(w.p.problems, Problem{Region: g.Desc.Index, Start: at, End: end, Err: err})
		}
		if ferr = fn(format.Run{Start: at, End: end, State: format.PageUnreadable}); ferr != nil {
			return ferr
		}
		a = end
	}
	return nil
}

// prefix returns up to n readable bytes that end just before the piece
// start and continue into it (nil when the bytes there are not data). It
// reads them at most once per piece; every caller in a search asks for the
// same n.
func (w *worker) prefix(n int) []byte {
	if w.preOK {
		return w.pre
	}
	w.preOK = true
	start, g := w.p.start, w.p.g
	if start <= g.Desc.Start || n <= 0 {
		return nil
	}
	var buf []byte
	var end uint64
	err := w.read(start-min(uint64(n), start-g.Desc.Start), start, func(run format.Run) error {
		if run.State != format.PageData || run.Data == nil {
			buf, end = buf[:0], 0
			return nil
		}
		if run.Start != end {
			buf = buf[:0]
		}
		buf, end = append(buf, run.Data...), run.End
		return nil
	})
	if err == nil && end == start && len(buf) > 0 {
		w.pre = buf
	}
	return w.pre
}

// emit queues a match for the consumer, rendered by Options.Format when
// set.
func (w *worker) emit(m Match) {
	b := w.batch
	if w.format != nil {
		n := len(b.text)
		b.text = w.format(b.text, m)
		m.Formatted = b.text[n:len(b.text):len(b.text)]
	}
	b.ms = append(b.ms, m)
	if len(b.ms) >= outBatch || len(b.text) >= outText {
		w.flush()
	}
}

func (w *worker) flush() {
	if len(w.batch.ms) == 0 {
		return
	}
	select {
	case w.p.out <- w.batch:
	case <-w.ctx.Done():
	}
	w.batch = newBatch()
}

// batch is a run of matches on its way to the consumer, with the text
// Options.Format made of them. Batches are recycled by the consumer: a
// search that finds millions of strings would otherwise spend much of its
// time allocating them.
type batch struct {
	ms   []Match
	text []byte
}

// outText bounds the formatted text of a batch.
const outText = 64 << 10

var batches = sync.Pool{New: func() any { return &batch{ms: make([]Match, 0, outBatch)} }}

func newBatch() *batch { return batches.Get().(*batch) }

// recycle returns a consumed batch, cleared so that it holds no memory but
// its own.
func recycle(b *batch) {
	clear(b.ms)
	b.ms, b.text = b.ms[:0], b.text[:0]
	batches.Put(b)
}
