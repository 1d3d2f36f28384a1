package main

import (
	"context"
	"errors"
	"io"
)

// runList is not built yet.
func runList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("list is not implemented yet")
}
