package capture

// changeSource says which pages may have changed since the pre-copy: the
// final pass re-reads those and takes the others as they were. Kernel
// write tracking (soft-dirty) could shrink the re-read to the pages
// written since the pre-copy began, but only a kernel that provides it,
// tested on such a kernel, may; until then every resident page is re-read
// and compared, which is exact on every kernel.
type changeSource interface {
	// name is recorded in the freeze record.
	name() string
	// mayHaveChanged calls fn for the parts of [a, b) the final pass must
	// re-read, in order.
	mayHaveChanged(a, b uint64, fn func(a, b uint64))
}

// rereadAll: every page may have changed.
type rereadAll struct{}

func (rereadAll) name() string { return "reread-all" }

func (rereadAll) mayHaveChanged(a, b uint64, fn func(a, b uint64)) { fn(a, b) }
