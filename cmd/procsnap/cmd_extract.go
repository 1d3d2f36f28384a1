package main

import (
	"context"
	"errors"
	"io"
)

// runExtract is not built yet.
func runExtract(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("extract is not implemented yet")
}
