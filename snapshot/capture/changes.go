package capture

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
