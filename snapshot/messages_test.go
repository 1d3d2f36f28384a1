package snapshot

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

func TestSizeText(t *testing.T) {
	for n, want := range map[int64]string{1 << 40: "1.0 TiB", 8 << 20: "8.0 MiB", 1536: "1.5 KiB", 100: "100 B"} {
		if got := sizeText(n); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", n, got, want)
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
