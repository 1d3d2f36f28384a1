package yarascan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/procsnap/procsnap/format"
)

// MaxData is how many bytes of each match Scan hands out (Hit's
// StringMatch.Data); longer matches are cut.
const MaxData = 64

// Options tune a scan. Zero values take the defaults.
type Options struct {
	// BatchBytes and BatchRuns bound a batch, the runs one yara process
	// scans; a run larger than BatchBytes is a batch of its own. Memory
	// holds two batches at most: one scanned, the next one filled.
	BatchBytes uint64 // default 128 MiB
	BatchRuns  int    // default 256 (each run is a descriptor of yara's)
	// Workers decompressing (default GOMAXPROCS) and yara's threads
	// (default the number of CPUs, at most 32).
	Workers, Threads int
}

func (o Options) withDefaults() Options {
	if o.BatchBytes == 0 {
		o.BatchBytes = 128 << 20
	}
	if o.BatchRuns <= 0 {
		o.BatchRuns = 256
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Threads <= 0 {
		o.Threads = min(runtime.NumCPU(), 32)
	}
	return o
}

// Hit is a rule that matched one run: the run's region and addresses, the
// rule, and its string matches in yara's order (the rule's strings in
// order, each one's matches by address). A rule whose condition holds
// without string matches (uint32(0) == ..., filesize) has none.
type Hit struct {
	Source     int
	Region     *format.Region
	Start, End uint64 // the run scanned: yara's buffer
	Rule       *Rule  // shared by the hits of one rule: do not modify
	Strings    []StringMatch
}

// StringMatch is one match of a string.
type StringMatch struct {
	ID   string // "$a" ("$" for an anonymous string)
	Addr uint64 // virtual address: the run's start plus yara's offset
	// Len is the match's length as yara reports it: at most 512 bytes
	// (yara's MAX_MATCH_DATA), also for a longer match.
	Len  int
	Data []byte // the first MaxData bytes of the match
}

// Result says what a scan covered.
type Result struct {
	Hits     int
	Scanned  []Scanned // per source
	Problems []Problem // in source and address order
}

// Scanned counts the runs of one source that yara scanned and their bytes.
type Scanned struct {
	Runs  int
	Bytes uint64
}

// Scan runs the rules over the captured data of the sources and calls fn
// for every hit, in order of source, address and rule, from one goroutine.
// It stops at the first error from fn or when ctx is done. Chunks that
// cannot be read are left out (the runs are cut around them) and listed in
// Result.Problems with what yara reported about single runs.
func (rs *Rules) Scan(ctx context.Context, sources []Source, opts Options, fn func(Hit) error) (Result, error) {
	opts = opts.withDefaults()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	planned, filled := make(chan *batch), make(chan *batch)
	var wg sync.WaitGroup
	wg.Go(func() { plan(sctx, sources, opts, planned) })
	var fillErr error
	wg.Go(func() { fillErr = fillAll(sctx, planned, filled, opts.Workers) })
	res := Result{Scanned: make([]Scanned, len(sources))}
	err := rs.consume(sctx, filled, opts, &res, fn)
	cancel()
	for b := range filled {
		b.close()
	}
	wg.Wait()
	slices.SortStableFunc(res.Problems, func(x, y Problem) int {
		return cmp.Or(cmp.Compare(x.Source, y.Source), cmp.Compare(x.Start, y.Start))
	})
	// A damaged span shared by runs of two batches is met twice.
	res.Problems = slices.CompactFunc(res.Problems, func(x, y Problem) bool { return x.Region >= 0 && sameRange(x, y) })
	switch {
	case err != nil:
		return res, err
	case fillErr != nil && !errors.Is(fillErr, context.Canceled):
		return res, fillErr
	}
	return res, ctx.Err()
}

// fillAll fills the planned batches one after the other.
func fillAll(ctx context.Context, planned <-chan *batch, filled chan<- *batch, workers int) error {
	defer close(filled)
	defer func() {
		for range planned { // let the planner end
		}
	}()
	for b := range planned {
		if err := fill(ctx, b, workers); err != nil {
			b.close()
			return err
		}
		select {
		case filled <- b:
		case <-ctx.Done():
			b.close()
			return ctx.Err()
		}
	}
	return nil
}

// consume scans the filled batches in order and hands out their hits.
func (rs *Rules) consume(ctx context.Context, filled <-chan *batch, opts Options, res *Result, fn func(Hit) error) error {
	for b := range filled {
		err := rs.consumeBatch(ctx, b, opts, res, fn)
		b.close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (rs *Rules) consumeBatch(ctx context.Context, b *batch, opts Options, res *Result, fn func(Hit) error) error {
	res.Problems = append(res.Problems, b.problems...)
	if len(b.runs) == 0 {
		return nil
	}
	raw, problems, err := rs.scanBatch(ctx, b, opts.Threads)
	if err != nil {
		return err
	}
	res.Problems = append(res.Problems, problems...)
	for _, u := range b.runs {
		res.Scanned[u.src].Runs++
		res.Scanned[u.src].Bytes += u.size()
	}
	slices.SortStableFunc(raw, func(x, y rawHit) int { return cmp.Compare(x.run, y.run) })
	for _, h := range raw {
		hit, err := makeHit(b.runs[h.run], h)
		if err != nil {
			return err
		}
		if err := fn(hit); err != nil {
			return err
		}
		res.Hits++
	}
	return nil
}

// makeHit maps yara's offsets to addresses and reads the matched bytes.
func makeHit(u *run, h rawHit) (Hit, error) {
	hit := Hit{Source: u.src, Region: u.g, Start: u.start, End: u.end, Rule: h.rule}
	hit.Strings = make([]StringMatch, 0, len(h.strings))
	for _, s := range h.strings {
		if s.off > u.size() || uint64(s.n) > u.size()-s.off {
			return hit, fmt.Errorf("yara reported %s at +%#x (%d bytes) in a run of %d bytes", s.id, s.off, s.n, u.size())
		}
		data := make([]byte, min(s.n, MaxData))
		if _, err := u.f.ReadAt(data, int64(s.off)); err != nil && !errors.Is(err, io.EOF) {
			return hit, fmt.Errorf("read the memfd of run %#x: %w", u.start, err)
		}
		hit.Strings = append(hit.Strings, StringMatch{ID: s.id, Addr: u.start + s.off, Len: s.n, Data: data})
	}
	return hit, nil
}
