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
	// scans; a run larger than BatchBytes is a batch of its own.
	BatchBytes uint64 // default 64 MiB
	BatchRuns  int    // default 8192, fewer where the open-file limit is lower (each run is a descriptor of yara's)
	// Procs is how many yara processes scan batches at once (default 2:
	// one starts and loads the rules while the other scans). Threads is
	// each one's -p (default CPUs/Procs, at least 2: yara 4.2 with one
	// scanning thread spends several times longer per run than with two,
	// measured at 7 s against 1.3 s for 4096 runs of 60 KiB). Every yara
	// loads the rules: larger batches load them less often.
	Procs, Threads int
	// Memory bounds the bytes of runs held in memfds at once (default
	// 512 MiB); a run larger than that is held alone.
	Memory uint64
	// Workers decompressing a batch (default GOMAXPROCS).
	Workers int
}

// batchRuns is how many runs a batch may hold when procsnap and its yara
// children may open limit files: every run of a batch is a memfd, held by
// procsnap from its fill to the end of its scan (procs batches scanning,
// one being filled, one waiting for its hits to be read) and inherited by
// its yara, which opens the rules, the scan list and each run's file above
// them. A yara process costs tens of milliseconds to start (its libraries'
// relocations), so a capture with thousands of small runs (a busy JVM's
// heap: 25,000 runs in 610 MiB) is scanned much faster in a few large
// batches than in many small ones.
func batchRuns(limit, procs int) int {
	return min(max((limit-256)/(procs+2), 64), 8192)
}

func (o Options) withDefaults() Options {
	if o.BatchBytes == 0 {
		o.BatchBytes = 64 << 20
	}
	cpus := runtime.NumCPU()
	if o.Procs <= 0 {
		o.Procs = 2
	}
	if o.BatchRuns <= 0 {
		o.BatchRuns = batchRuns(childFDLimit(), o.Procs)
	}
	if o.Threads <= 0 {
		o.Threads = min(max(cpus/o.Procs, 2), 32)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Memory == 0 {
		o.Memory = 512 << 20
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
//
// One goroutine plans batches of runs from the chunk headers, one fills
// them (Workers decompressing into memfds), Procs yara processes scan
// them, and the hits come back in batch order.
func (rs *Rules) Scan(ctx context.Context, sources []Source, opts Options, fn func(Hit) error) (Result, error) {
	opts = opts.withDefaults()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	planned, jobs := make(chan *batch), make(chan *job)
	order := make(chan *job, opts.Procs)
	mem := newBudget(opts.Memory)
	var wg sync.WaitGroup
	wg.Go(func() { plan(sctx, sources, opts, planned) })
	var fillErr error
	wg.Go(func() { fillErr = fillAll(sctx, planned, jobs, order, mem, opts.Workers) })
	for range opts.Procs {
		wg.Go(func() {
			for j := range jobs {
				rs.scanJob(sctx, j, opts.Threads)
			}
		})
	}
	res := Result{Scanned: make([]Scanned, len(sources))}
	err := consume(sctx, order, &res, fn)
	cancel()
	for j := range order {
		<-j.done
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

// job is a filled batch on its way through a yara process. done is closed
// once its hits (or its error) are ready and its memfds closed.
type job struct {
	b        *batch
	hits     []Hit
	problems []Problem
	err      error
	done     chan struct{}
}

// finish releases the batch and tells the consumer.
func (j *job) finish(err error) {
	j.b.close()
	if j.err == nil {
		j.err = err
	}
	close(j.done)
}

// fillAll fills the planned batches one after the other, each once the
// memory budget has room for it, and hands them to the yara processes, and
// in order to the consumer.
func fillAll(ctx context.Context, planned <-chan *batch, jobs, order chan<- *job, mem *budget, workers int) error {
	defer close(order)
	defer close(jobs)
	defer func() {
		for range planned { // let the planner end
		}
	}()
	for b := range planned {
		n, err := mem.acquire(ctx, b.bytes)
		if err != nil {
			return err
		}
		b.release = func() { mem.release(n) }
		if err := fill(ctx, b, workers); err != nil {
			b.close()
			return err
		}
		j := &job{b: b, done: make(chan struct{})}
		select {
		case order <- j:
		case <-ctx.Done():
			b.close()
			return ctx.Err()
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
			j.finish(ctx.Err())
			return ctx.Err()
		}
	}
	return nil
}

// scanJob runs yara over a job's batch and turns what it said into hits.
func (rs *Rules) scanJob(ctx context.Context, j *job, threads int) {
	if len(j.b.runs) == 0 {
		j.finish(nil)
		return
	}
	raw, problems, err := rs.scanBatch(ctx, j.b, threads)
	if err != nil {
		j.finish(err)
		return
	}
	j.problems = problems
	slices.SortStableFunc(raw, func(x, y rawHit) int { return cmp.Compare(x.run, y.run) })
	for _, h := range raw {
		hit, err := makeHit(j.b.runs[h.run], h)
		if err != nil {
			j.finish(err)
			return
		}
		j.hits = append(j.hits, hit)
	}
	j.finish(nil)
}

// consume hands out the jobs' hits in batch order.
func consume(ctx context.Context, order <-chan *job, res *Result, fn func(Hit) error) error {
	for j := range order {
		select {
		case <-j.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		res.Problems = append(res.Problems, j.b.problems...)
		if j.err != nil {
			return j.err
		}
		res.Problems = append(res.Problems, j.problems...)
		for _, u := range j.b.runs {
			res.Scanned[u.src].Runs++
			res.Scanned[u.src].Bytes += u.size()
		}
		for _, h := range j.hits {
			if err := fn(h); err != nil {
				return err
			}
			res.Hits++
		}
	}
	return nil
}

// makeHit maps yara's offsets to addresses and reads the matched bytes.
func makeHit(u *dataRun, h rawHit) (Hit, error) {
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
