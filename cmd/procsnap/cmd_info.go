package main

import (
	"context"
	"errors"
	"io"
)

// runInfo is not built yet.
func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("info is not implemented yet")
}
