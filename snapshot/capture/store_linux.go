package capture

import (
	"sync"

	"golang.org/x/sys/unix"
)

// slabSize is the unit of memory the page store hands a final-pass worker.
const slabSize = MinBufferSize / 2

// pageStore holds the pages the final pass keeps (those that changed since
// the pre-copy, or every page with ModeWhole) from the freeze until they
// are written. Its slabs are mapped and faulted in outside procsnap's Go
// heap, ahead of the freeze where it can (reserve), and unmapped at the end,
// so that the memory goes back to the system at once.
type pageStore struct {
	mu     sync.Mutex
	free   [][]byte // slabs ready to hand out
	inUse  [][]byte
	mapped int64 // bytes mapped in all
	budget int64 // most bytes it may map
}

// newPageStore makes a store of at most budget bytes, and at least one slab
// per final-pass worker: after a reset every worker gets a slab, so the
// first unit handed out always fits and an overflowing pass makes progress.
func newPageStore(budget int64) *pageStore {
	return &pageStore{budget: max(budget, int64(passWorkers())*slabSize)}
}

// reserve maps and faults in slabs for n bytes now (before the freeze), up
// to the budget.
func (s *pageStore) reserve(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.mapped < min(n, s.budget) {
		b, err := mapSlab()
		if err != nil {
			return
		}
		s.free = append(s.free, b)
		s.mapped += slabSize
	}
}

// get hands out a slab, or false when the budget is used up.
func (s *pageStore) get() ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.free); n > 0 {
		b := s.free[n-1]
		s.free = s.free[:n-1]
		s.inUse = append(s.inUse, b)
		return b, true
	}
	if s.mapped+slabSize > s.budget {
		return nil, false
	}
	b, err := mapSlab()
	if err != nil {
		return nil, false
	}
	s.mapped += slabSize
	s.inUse = append(s.inUse, b)
	return b, true
}

// reset takes every slab back, for reuse once what they held is written.
func (s *pageStore) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.free = append(s.free, s.inUse...)
	s.inUse = nil
}

// release unmaps everything.
func (s *pageStore) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range append(s.free, s.inUse...) {
		unix.Munmap(b) //nolint:errcheck // nothing to do about it
	}
	s.free, s.inUse, s.mapped = nil, nil, 0
}

// mapSlab maps one slab with every page faulted in.
func mapSlab() ([]byte, error) {
	return unix.Mmap(-1, 0, slabSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
}

// slabWriter copies pages into a store's slabs, for one worker.
type slabWriter struct {
	store *pageStore
	slab  []byte
	off   int // used bytes of slab
}

// put copies page into the store. It returns the copy, whose capacity runs
// to the end of its slab, and whether it directly follows the page put
// before it (so a run of pages can grow by reslicing); ok is false when
// the store's budget is used up.
func (w *slabWriter) put(page []byte) (b []byte, follows, ok bool) {
	follows = true
	if len(w.slab)-w.off < len(page) {
		slab, got := w.store.get()
		if !got {
			return nil, false, false
		}
		w.slab, w.off, follows = slab, 0, false
	}
	b = w.slab[w.off : w.off+len(page)]
	copy(b, page)
	w.off += len(page)
	return b, follows, true
}

// drop forgets the current slab (after the store was reset).
func (w *slabWriter) drop() { w.slab, w.off = nil, 0 }
