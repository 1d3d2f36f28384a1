package capture

import (
	"github.com/procsnap/procsnap/procfs"
)

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
