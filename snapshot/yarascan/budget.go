package yarascan

import (
	"context"
	"sync"
)

// budget bounds the bytes of runs held in memfds at once. A batch takes
// its size before it is filled and gives it back when its memfds are
// closed; a batch larger than the whole budget waits until it has the
// budget to itself.
type budget struct {
	mu      sync.Mutex
	free    uint64
	total   uint64
	changed chan struct{} // closed and replaced on every release
}

func newBudget(total uint64) *budget {
	return &budget{free: total, total: total, changed: make(chan struct{})}
}

// acquire takes n bytes (at most the whole budget), waiting for them.
func (b *budget) acquire(ctx context.Context, n uint64) (uint64, error) {
	n = min(n, b.total)
	for {
		b.mu.Lock()
		if b.free >= n {
			b.free -= n
			b.mu.Unlock()
			return n, nil
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// release gives back what acquire took.
func (b *budget) release(n uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.free += n
	close(b.changed)
	b.changed = make(chan struct{})
}
