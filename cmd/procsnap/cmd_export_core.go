package main

import (
	"context"
	"errors"
	"io"
)

// runExportCore is not built yet.
func runExportCore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("export-core is not implemented yet")
}
