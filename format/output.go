package format

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"hash"
	"io"
	"sync"
	"sync/atomic"
)

// output is the Writer's output goroutine: it writes jobs in call order,
// hashes every byte, builds the index and the per-region accumulators.
type output struct {
	owner    *Writer
	bw       *bufio.Writer
	sha      hash.Hash
	n        atomic.Int64
	pageSize int
	index    []indexEntry
	acc      regionAcc
	tot      totals
	indexOff int64
	indexLen int64
	final    [32]byte
	end      End // the end record as written
	pre      precopyPages
}

type regionAcc struct {
	digest                      *regionHasher
	data, zero, unread, notCapt uint64
	unreadable                  []Range
}

type totals struct {
	regions, threads            int
	data, zero, unread, notCapt uint64
}

func (o *output) init(w io.Writer, pageSize int, owner *Writer) {
	o.owner = owner
	o.bw = bufio.NewWriterSize(w, 64<<10) // larger records bypass the buffer
	o.sha = sha256.New()
	o.pageSize = pageSize
	o.acc.digest = newRegionHasher()
}

func (o *output) run(queue <-chan *job, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range queue {
		switch j.kind {
		case jobFlush:
			if err := o.flush(); err != nil {
				o.owner.setErr(err)
			}
			close(j.flushed)
			continue
		case jobChunk:
			<-j.chunk.done
		case jobBuilt:
			j.rec = appendRecord(nil, j.typ, j.build())
		}
		o.account(j)
		o.emit(j)
		if j.kind == jobChunk {
			o.owner.pool.Put(j.rec[:0]) //nolint:staticcheck // slices are fine here
		}
	}
	copy(o.final[:], o.sha.Sum(nil))
}

func (o *output) flush() error { return o.bw.Flush() }

func (o *output) digest() [32]byte { return o.final }

// emit writes a record and indexes it. Once the Writer has failed, records
// are dropped: nothing after a write error could be located anyway.
func (o *output) emit(j *job) {
	if o.owner.Err() != nil {
		return
	}
	off := o.n.Load()
	if j.kind != jobSignature && j.typ != recHeader && j.typ != recIndex && j.typ != recTrailer {
		o.index = append(o.index, indexEntry{Offset: off, Length: int64(len(j.rec)), Type: j.typ,
			Region: j.region, Start: j.start, End: j.end})
	}
	if j.typ == recIndex {
		o.indexOff, o.indexLen = off, int64(len(j.rec))
	}
	o.sha.Write(j.rec)
	if _, err := o.bw.Write(j.rec); err != nil {
		o.owner.setErr(err)
		return
	}
	o.n.Add(int64(len(j.rec)))
}

// account updates the open region's accumulators for a record.
func (o *output) account(j *job) {
	ps := uint64(o.pageSize)
	a := &o.acc
	switch j.typ {
	case recRegion:
		a.digest.reset()
		a.data, a.zero, a.unread, a.notCapt, a.unreadable = 0, 0, 0, 0, nil
	case recThread:
		o.tot.threads++
	case recChunk:
		for i, s := range j.chunk.states {
			a.addPages(j.chunk.hashes[i], s, ps)
		}
	case recFill:
		if j.fill.State == PageInherit {
			o.pre.each(j.fill.Start, j.fill.End, ps, func(f fill, hash uint64, page bool) {
				if page {
					a.addPages(hash, f.State, ps)
				} else {
					o.accountFill(&f)
				}
			})
			return
		}
		o.accountFill(j.fill)
	case recPrecopyChunk:
		o.pre.add(preRun{start: j.start, end: j.end, state: PageData, states: j.chunk.states, hashes: j.chunk.hashes})
	case recPrecopyFill:
		o.pre.add(preRun{start: j.fill.Start, end: j.fill.End, state: j.fill.State, errno: j.fill.Errno})
	}
}

// addPages counts pages of a chunk, data or zero, with their hash.
func (a *regionAcc) addPages(hash uint64, s PageState, size uint64) {
	a.digest.add(hash, 1)
	if s == PageZero {
		a.zero += size
	} else {
		a.data += size
	}
}

func (o *output) accountFill(f *fill) {
	a := &o.acc
	size := f.End - f.Start
	var h uint64
	switch f.State {
	case PageZero:
		a.zero += size
		h = ZeroPageHash(o.pageSize)
	case PageUnreadable:
		a.unread += size
		a.unreadable = AppendRange(a.unreadable, Range{Start: f.Start, End: f.End, Errno: f.Errno})
	case PageNotCaptured:
		a.notCapt += size
	}
	a.digest.add(h, size/uint64(o.pageSize))
}

func (o *output) footerPayload(d RegionDesc, m Method, msg string) []byte {
	a := &o.acc
	f := Footer{Index: d.Index, State: RegionComplete, Method: m, DataBytes: a.data, ZeroBytes: a.zero,
		UnreadableBytes: a.unread, NotCapturedBytes: a.notCapt, Hash: a.digest.sum(),
		Unreadable: a.unreadable, Message: msg}
	switch {
	case d.Skip != "":
		f.State = RegionSkipped
	case a.notCapt > 0:
		f.State = RegionPartial
	}
	t := &o.tot
	t.regions++
	t.data += a.data
	t.zero += a.zero
	t.unread += a.unread
	t.notCapt += a.notCapt
	return f.encode()
}

func (o *output) endPayload(e End) []byte {
	t := o.tot
	e.Regions = t.regions
	if e.Threads == 0 {
		e.Threads = t.threads
	}
	e.DataBytes, e.ZeroBytes, e.UnreadableBytes, e.NotCapturedBytes = t.data, t.zero, t.unread, t.notCapt
	o.end = e
	p, _ := json.Marshal(e) // End holds only marshalable fields
	return p
}

func (o *output) indexPayload() []byte { return encodeIndex(o.index) }

func (o *output) trailerPayload() []byte {
	t := trailer{IndexOffset: o.indexOff, IndexLength: o.indexLen}
	copy(t.SHA256[:], o.sha.Sum(nil))
	return t.encode()
}
