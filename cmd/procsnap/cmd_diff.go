package main

import (
	"context"
	"errors"
	"io"
)

// runDiff is not built yet.
func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("diff is not implemented yet")
}
