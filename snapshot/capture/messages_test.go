package capture

import (
	"errors"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/procfs"
)

// Messages a capture writes into the archive or returns (issue 15).

func TestInterruptReason(t *testing.T) {
	for cause, want := range map[error]string{
		errors.New("interrupted by SIGINT"): "interrupted by SIGINT",
		errors.New("context canceled"):      "interrupted: context canceled",
	} {
		if got := interruptReason(cause); got != want {
			t.Errorf("interruptReason(%q) = %q, want %q", cause, got, want)
		}
	}
}

// TestSkipReasonVsyscall: the reason for skipping [vsyscall] does not
// suggest --include-unreadable, which reads it as EIO.
func TestSkipReasonVsyscall(t *testing.T) {
	vsys := procfs.Mapping{Start: 0xffffffffff600000, End: 0xffffffffff601000, Perms: "--xp", Path: "[vsyscall]"}
	if got := skipReason(procfs.FS{}, 1, vsys, false); got == "" || strings.Contains(got, "capture it with") {
		t.Errorf("[vsyscall] skip reason %q", got)
	}
	other := procfs.Mapping{Start: 0x1000, End: 0x2000, Perms: "---p"}
	if got := skipReason(procfs.FS{}, 1, other, false); !strings.Contains(got, "--include-unreadable") {
		t.Errorf("---p skip reason %q does not point at --include-unreadable", got)
	}
}
