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
