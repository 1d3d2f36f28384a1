package yarascan

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The budget lends at most its total; a request for more waits for all of
// it; a cancelled wait returns the context's error.
func TestBudget(t *testing.T) {
	b := newBudget(100)
	ctx := context.Background()
	n1, _ := b.acquire(ctx, 60)
	n2, _ := b.acquire(ctx, 40)
	if n1 != 60 || n2 != 40 {
		t.Fatalf("acquired %d and %d", n1, n2)
	}
	got := make(chan uint64)
	go func() {
		n, _ := b.acquire(ctx, 500) // more than the total: waits for all of it
		got <- n
	}()
	b.release(n1)
	select {
	case n := <-got:
		t.Fatalf("acquired %d with 40 still lent", n)
	case <-time.After(50 * time.Millisecond):
	}
	b.release(n2)
	if n := <-got; n != 100 {
		t.Errorf("acquired %d, want the whole budget", n)
	}
	cctx, cancel := context.WithCancel(ctx)
	go cancel()
	if _, err := b.acquire(cctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
}

// TestBatchRuns: batches fit the open-file limit with every batch in
// flight, and stay between 64 and 8192 runs.
func TestBatchRuns(t *testing.T) {
	for _, c := range []struct{ limit, procs, want int }{
		{1024, 4, 128},
		{20000, 4, 3290},
		{1 << 20, 6, 8192},
		{256, 4, 64},
	} {
		got := batchRuns(c.limit, c.procs)
		if got != c.want {
			t.Errorf("batchRuns(%d, %d) = %d, want %d", c.limit, c.procs, got, c.want)
		}
		if c.limit > 256+64*(c.procs+2) && got*(c.procs+2) > c.limit-256 {
			t.Errorf("batchRuns(%d, %d) = %d: %d batches in flight exceed the limit", c.limit, c.procs, got, c.procs+2)
		}
	}
}

// The defaults never give a yara a single scanning thread (yara 4.2 is
// several times slower per run with one), and keep what the caller set.
func TestOptionDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	if o.Procs != 2 || o.Threads < 2 || o.Threads > 32 || o.BatchRuns < 64 || o.Workers < 1 || o.Memory == 0 || o.BatchBytes == 0 {
		t.Errorf("defaults %+v: want 2 procs of 2 to 32 threads, batches of at least 64 runs, workers and budgets set", o)
	}
	set := Options{Procs: 3, Threads: 1, BatchRuns: 7, BatchBytes: 9, Memory: 11, Workers: 5}
	if got := set.withDefaults(); got != set {
		t.Errorf("withDefaults(%+v) = %+v: it changed what was set", set, got)
	}
}
