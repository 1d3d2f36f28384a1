package search

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/procsnap/procsnap/format"
)

// Options tune a search.
type Options struct {
	// Regions to search; nil searches every region of the archive. They are
	// searched in order of start address whatever their order here.
	Regions []*format.Region
	// Context is the number of bytes kept on each side of a match
	// (0..MaxContext); it does not apply to strings.
	Context int
	// Max stops the search after that many matches (0: no limit).
	Max int
	// Workers searching in parallel (default GOMAXPROCS).
	Workers int
	// Format, when set, renders each match where it is found, in the worker
	// goroutines, so that costly output formatting runs in parallel: it
	// appends the match's rendering to dst and returns it, and the result
	// reaches fn in Match.Formatted. It is called concurrently, also for
	// matches that fn never gets (past Max, or regex overlaps).
	Format func(dst []byte, m Match) []byte
}

// Search runs q over the archive and calls fn for every match, in address
// order, from one goroutine. It stops at the first error from fn, when ctx
// is done (returning ctx.Err()) or after opts.Max matches. Chunks that
// cannot be read are skipped and listed in the Result's Problems.
func Search(ctx context.Context, r *format.Reader, q *Query, opts Options, fn func(Match) error) (Result, error) {
	if q == nil {
		return Result{}, errors.New("search: nil query")
	}
	if opts.Context < 0 || opts.Context > MaxContext {
		return Result{}, fmt.Errorf("context of %d bytes is outside 0..%d", opts.Context, MaxContext)
	}
	if q.kind == KindStrings && opts.Context != 0 {
		return Result{}, errors.New("context does not apply to a strings search")
	}
	if opts.Max < 0 {
		return Result{}, fmt.Errorf("maximum match count %d is negative", opts.Max)
	}
	regions := opts.Regions
	if regions == nil {
		regions = r.Regions()
	}
	pieces := plan(regions, uint64(r.ChunkSize()))
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// At most window pieces are handed out and not yet consumed: that bounds
	// the matches waiting in memory.
	window := make(chan struct{}, 2*workers+2)
	jobs := make(chan *piece)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		dispatch(ctx, pieces, window, jobs)
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{ctx: ctx, r: r, batch: newBatch(), format: opts.Format}
			if q.kind == KindStrings {
				w.sc = newStringScan(w, q)
			} else {
				w.sc = newWindowScan(w, q, opts.Context)
			}
			for p := range jobs {
				w.run(p)
			}
		}()
	}
	res, err := consume(ctx, pieces, window, q.kind == KindRegex, opts.Max, fn)
	cancel()
	wg.Wait()
	return res, err
}

// dispatch hands the pieces out in order, each once a window slot is free.
func dispatch(ctx context.Context, pieces []*piece, window chan<- struct{}, jobs chan<- *piece) {
	defer close(jobs)
	for _, p := range pieces {
		select {
		case window <- struct{}{}:
		case <-ctx.Done():
			return
		}
		select {
		case jobs <- p:
		case <-ctx.Done():
			return
		}
	}
}

// consume reads the pieces' matches in piece order. Regex matches that
// overlap the one before (found by two pieces near their boundary) are
// dropped.
func consume(ctx context.Context, pieces []*piece, window <-chan struct{}, noOverlap bool, limit int, fn func(Match) error) (Result, error) {
	var res Result
	var lastEnd uint64
	for _, p := range pieces {
		for done := false; !done; {
			select {
			case batch, ok := <-p.out:
				if !ok {
					done = true
					break
				}
				for _, m := range batch.ms {
					if noOverlap && m.Addr < lastEnd {
						continue
					}
					if err := fn(m); err != nil {
						return res, err
					}
					lastEnd = m.Addr + uint64(m.Len)
					res.Matches++
					if limit > 0 && res.Matches >= limit {
						res.MaxReached = true
						return res, nil
					}
				}
				recycle(batch)
			case <-ctx.Done():
				return res, ctx.Err()
			}
		}
		if err := ctx.Err(); err != nil {
			return res, err // the piece may have stopped short
		}
		res.Problems = append(res.Problems, p.problems...)
		<-window
	}
	return res, nil
}
