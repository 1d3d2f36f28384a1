package yarascan

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/procsnap/procsnap/format"
)

// pieceBytes is about how much one fill task decompresses: a run larger
// than that is cut, at chunk boundaries, into tasks that run in parallel.
// A variable so that tests can cut small runs.
var pieceBytes uint64 = 8 << 20

// task decompresses the addresses [lo, hi) of one region into the memfds
// of the runs there (in address order).
type task struct {
	ctx    context.Context
	r      *format.Reader
	g      *format.Region
	lo, hi uint64
	runs   []*dataRun
}

// fill creates the batch's memfds and decompresses its runs into them,
// with the given number of workers. A chunk that fails its checks is left
// out: the run is cut around it and the chunk becomes a Problem.
func fill(ctx context.Context, b *batch, workers int) error {
	for _, u := range b.runs {
		f, err := newMemfd("procsnap-yara-run")
		if err == nil {
			u.f = f // closed with the batch
			err = f.Truncate(int64(u.size()))
		}
		if err != nil {
			return fmt.Errorf("memory for a run of %d bytes: %w", u.size(), err)
		}
	}
	tasks := makeTasks(ctx, b.runs)
	jobs := make(chan *task)
	var mu sync.Mutex
	var damage []Problem
	var firstErr error
	var wg sync.WaitGroup
	for range min(workers, len(tasks)) {
		wg.Go(func() {
			var rb format.ReadBuffer // chunk after chunk, decoded into the same memory
			for t := range jobs {
				bad, err := t.do(&rb)
				mu.Lock()
				damage = append(damage, bad...)
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	for _, t := range tasks {
		jobs <- t
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if len(damage) > 0 {
		return cutDamage(b, damage)
	}
	return nil
}

// makeTasks groups neighbouring runs of a region into tasks of about
// pieceBytes and cuts larger runs at span (chunk) boundaries.
func makeTasks(ctx context.Context, runs []*dataRun) []*task {
	var out []*task
	var cur *task
	for _, u := range runs {
		if cur != nil && cur.g == u.g && cur.r == u.r && u.end-cur.lo <= pieceBytes {
			cur.hi = u.end
			cur.runs = append(cur.runs, u)
			continue
		}
		for _, cut := range cutRun(u) {
			cur = &task{ctx: ctx, r: u.r, g: u.g, lo: cut[0], hi: cut[1], runs: []*dataRun{u}}
			out = append(out, cur)
		}
	}
	return out
}

// cutRun cuts a run into pieces of about pieceBytes that end on span
// boundaries, so that each chunk is decompressed once.
func cutRun(u *dataRun) [][2]uint64 {
	spans := u.g.Spans()
	var out [][2]uint64
	for lo := u.start; lo < u.end; {
		hi := u.end
		if u.end-lo > pieceBytes {
			want := lo + pieceBytes
			i := sort.Search(len(spans), func(i int) bool { return spans[i].End >= want })
			if i < len(spans) && spans[i].End < u.end {
				hi = spans[i].End
			}
		}
		out = append(out, [2]uint64{lo, hi})
		lo = hi
	}
	return out
}

// do decompresses the task's range. When a chunk fails, it goes again
// span by span over the runs, and returns the spans that failed.
func (t *task) do(rb *format.ReadBuffer) ([]Problem, error) {
	err := t.r.ReadRangeReuse(t.g, t.lo, t.hi, rb, t.write)
	if err == nil || t.ctx.Err() != nil {
		return nil, t.ctx.Err()
	}
	var bad []Problem
	for _, u := range t.runs {
		lo, hi := max(u.start, t.lo), min(u.end, t.hi)
		for _, s := range t.g.Spans() {
			a, z := max(s.Start, lo), min(s.End, hi)
			if a >= z {
				continue
			}
			if err := t.r.ReadRangeReuse(t.g, a, z, rb, t.write); err != nil {
				if t.ctx.Err() != nil {
					return nil, t.ctx.Err()
				}
				bad = append(bad, Problem{Source: u.src, Region: t.g.Desc.Index, Start: s.Start, End: s.End, Err: err})
			}
		}
	}
	return bad, nil
}

// write copies a piece of data into the memfd of the run that holds it.
func (t *task) write(fr format.Run) error {
	if err := t.ctx.Err(); err != nil {
		return err
	}
	if fr.State != format.PageData || fr.Data == nil {
		return nil
	}
	i := sort.Search(len(t.runs), func(i int) bool { return t.runs[i].end > fr.Start })
	if i == len(t.runs) || fr.Start < t.runs[i].start || fr.End > t.runs[i].end {
		return fmt.Errorf("data at %#x-%#x is not where the chunk headers said", fr.Start, fr.End)
	}
	u := t.runs[i]
	_, err := u.f.WriteAt(fr.Data, int64(fr.Start-u.start))
	return err
}
