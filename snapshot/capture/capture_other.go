//go:build !linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Run needs Linux: elsewhere it returns an error wrapping
// errors.ErrUnsupported.
func Run(ctx context.Context, pid int, w io.Writer, opts Options) (*Result, error) {
	return nil, fmt.Errorf("capture needs Linux: %w", errors.ErrUnsupported)
}
