package capture

import (
	"github.com/procsnap/procsnap/procfs"
)

// changeSource says which pages may have changed since the pre-copy: the
// final pass re-reads those and takes the others as the pre-copy saw them.
// rereadAll (the default) re-reads every resident page, which is exact on
// every kernel. softDirty (--track-writes) asks the kernel's write
// tracking, where the kernel has it (changes_linux.go).
type changeSource interface {
	// name is recorded in the freeze record.
	name() string
	// begin runs before the pre-copy reads anything.
	begin() error
	// worker returns what one final-pass goroutine asks.
	worker() (changeWorker, error)
}

// changeWorker is a changeSource as one goroutine uses it.
type changeWorker interface {
	// written sets dirty[i] for each page i of [a, a+len(dirty) pages) of
	// region p that may have been written since begin, and clears the rest.
	written(p *regionPlan, a uint64, dirty []bool) error
	close()
}

// rereadAll: every page may have changed.
type rereadAll struct{}

func (rereadAll) name() string                  { return "reread-all" }
func (rereadAll) begin() error                  { return nil }
func (rereadAll) worker() (changeWorker, error) { return rereadAll{}, nil }
func (rereadAll) close()                        {}

func (rereadAll) written(_ *regionPlan, _ uint64, dirty []bool) error {
	for i := range dirty {
		dirty[i] = true
	}
	return nil
}

// softDirty is --track-writes: the kernel's soft-dirty bits, cleared
// before the pre-copy, tell which pages were written since. It is trusted
// only where it sees every write: private anonymous memory (heap, stacks,
// anonymous mappings), which only the process and the kernel on its behalf
// (read(2), process_vm_writev) can write, and every such write sets the
// bit, as do mremap and new mappings. Shared mappings (another process
// writes them through its own page tables) and file mappings (the file
// can change under a page not yet copied on write) are re-read whole.
type softDirty struct {
	pfs      procfs.FS
	pid      int
	pageSize int
}

func (s softDirty) name() string { return "soft-dirty" }

// begin clears the target's soft-dirty bits: writes from now on are seen.
func (s softDirty) begin() error { return s.pfs.ClearSoftDirty(s.pid) }

func (s softDirty) worker() (changeWorker, error) {
	pm, err := s.pfs.OpenPagemap(s.pid, s.pageSize)
	if err != nil {
		return nil, err
	}
	return &softDirtyWorker{pm: pm}, nil
}

type softDirtyWorker struct {
	pm      *procfs.PagemapReader
	entries []procfs.PageEntry
}

func (w *softDirtyWorker) close() { w.pm.Close() }

func (w *softDirtyWorker) written(p *regionPlan, a uint64, dirty []bool) error {
	if !p.privateAnon {
		return rereadAll{}.written(p, a, dirty)
	}
	if cap(w.entries) < len(dirty) {
		w.entries = make([]procfs.PageEntry, len(dirty))
	}
	e := w.entries[:len(dirty)]
	if err := w.pm.ReadEntries(e, a); err != nil {
		return err
	}
	for i := range e {
		dirty[i] = e[i].SoftDirty()
	}
	return nil
}
