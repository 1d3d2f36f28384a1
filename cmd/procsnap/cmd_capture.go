package main

import (
	"context"
	"errors"
	"io"
)

// runCapture is not built yet.
func runCapture(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("capture is not implemented yet")
}
