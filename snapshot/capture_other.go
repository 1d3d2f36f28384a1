//go:build !linux

package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Capture needs Linux: elsewhere it returns an error wrapping
// errors.ErrUnsupported.
func Capture(ctx context.Context, pid int, w io.Writer, opts Options) (*Result, error) {
	return nil, fmt.Errorf("capture needs Linux: %w", errors.ErrUnsupported)
}
