//go:build !linux

package ptrace

import (
	"context"
	"errors"
	"fmt"

	"github.com/procsnap/procsnap/format"
)

// Frozen is a frozen process. Freezing needs Linux.
type Frozen struct{}

// Freeze returns an error wrapping errors.ErrUnsupported: ptrace freezing needs Linux.
func Freeze(ctx context.Context, pid int, listTasks func() ([]int, error)) (*Frozen, error) {
	return nil, fmt.Errorf("freeze pid %d: %w", pid, errors.ErrUnsupported)
}

// Tasks returns nil.
func (f *Frozen) Tasks() []int { return nil }

// Exited returns nil.
func (f *Frozen) Exited() []int { return nil }

// Registers returns an error wrapping errors.ErrUnsupported.
func (f *Frozen) Registers(tid int) ([]format.RegSet, error) {
	return nil, fmt.Errorf("registers of %d: %w", tid, errors.ErrUnsupported)
}

// Thaw returns nil.
func (f *Frozen) Thaw() error { return nil }
