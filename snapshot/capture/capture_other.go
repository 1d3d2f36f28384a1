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

// Together needs Linux: elsewhere every outcome is an error wrapping
// errors.ErrUnsupported.
func Together(ctx context.Context, targets []Target, opts Options) []Outcome {
	out := make([]Outcome, len(targets))
	for i := range out {
		out[i].Err = fmt.Errorf("capture needs Linux: %w", errors.ErrUnsupported)
	}
	return out
}
