package procfs

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// unameMachine returns the machine field of uname(2), such as "x86_64".
func unameMachine() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", fmt.Errorf("uname: %w", err)
	}
	return unix.ByteSliceToString(u.Machine[:]), nil
}
