package yarascan

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// newMemfd creates an anonymous file in memory (memfd_create): its bytes
// live in RAM and vanish with its last descriptor. It is not executable
// (MFD_NOEXEC_SEAL, on kernels that know it) and is closed on exec unless
// passed to a child explicitly.
func newMemfd(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_NOEXEC_SEAL)
	if errors.Is(err, unix.EINVAL) { // before Linux 6.3
		fd, err = unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	}
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	return os.NewFile(uintptr(fd), "memfd:"+name), nil
}
