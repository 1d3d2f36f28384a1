package proctest

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// readMem reads n bytes at addr of pid with process_vm_readv.
func readMem(pid int, addr uint64, n int) ([]byte, error) {
	b := make([]byte, n)
	if n == 0 {
		return b, nil
	}
	local := []unix.Iovec{{Base: &b[0]}}
	local[0].SetLen(n)
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: n}}
	got, err := unix.ProcessVMReadv(pid, local, remote, 0)
	if err != nil {
		return nil, err
	}
	if got != n {
		return nil, fmt.Errorf("%w: %d bytes", errShort, got)
	}
	return b, nil
}

var errShort = errors.New("short read")
