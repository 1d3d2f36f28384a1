//go:build !linux

package yarascan

import (
	"errors"
	"fmt"
	"os"
)

// newMemfd needs Linux (memfd_create): elsewhere it returns an error
// wrapping errors.ErrUnsupported.
func newMemfd(name string) (*os.File, error) {
	return nil, fmt.Errorf("memfd %s: yara scans need memfd_create (Linux): %w", name, errors.ErrUnsupported)
}
