//go:build !linux

package procfs

import (
	"errors"
	"fmt"
)

// unameMachine is available on Linux only.
func unameMachine() (string, error) {
	return "", fmt.Errorf("uname: %w", errors.ErrUnsupported)
}
