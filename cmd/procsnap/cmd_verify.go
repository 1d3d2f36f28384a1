package main

import (
	"context"
	"errors"
	"io"
)

// runVerify is not built yet.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("verify is not implemented yet")
}
