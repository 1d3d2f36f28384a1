package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
	"github.com/procsnap/procsnap/procfs"
)

// softDirtyEnv is set by make test-kernels from the kernel's configuration
// ("yes" or "no"): where it says yes, the write-tracking tests must run.
const softDirtyEnv = "PROCSNAP_KERNEL_SOFT_DIRTY"

// needSoftDirty skips a test on a kernel without soft-dirty (this host's),
// unless the kernel under test is said to have it.
func needSoftDirty(t *testing.T) {
	t.Helper()
	err := procfs.Default().CheckSoftDirty()
	if err == nil {
		return
	}
	if os.Getenv(softDirtyEnv) == "yes" {
		t.Fatalf("$%s=yes, but %v", softDirtyEnv, err)
	}
	t.Skipf("needs soft-dirty (make test-kernels runs it on Debian's 6.1): %v", err)
}

// TestTrackWritesRefused: where the kernel cannot track writes, and with
// --freeze=whole, --track-writes is refused before anything is written.
func TestTrackWritesRefused(t *testing.T) {
	tg := proctest.StartThreads(t, 2, 0)
	var out bytes.Buffer
	_, err := Run(context.Background(), tg.PID, &out, Options{TrackWrites: true, Mode: ModeWhole})
	if err == nil || !strings.Contains(err.Error(), "pre-copy") || out.Len() != 0 {
		t.Errorf("--freeze=whole with write tracking: %v, %d bytes written", err, out.Len())
	}
	if procfs.Default().CheckSoftDirty() == nil {
		t.Skip("this kernel has soft-dirty: the refusal on kernels without it is not testable here")
	}
	res, err := Run(context.Background(), tg.PID, &out, Options{TrackWrites: true})
	if res != nil || !errors.Is(err, procfs.ErrNoSoftDirty) || out.Len() != 0 {
		t.Errorf("write tracking without soft-dirty: result %v, error %v, %d bytes written", res, err, out.Len())
	}
	proctest.CheckNotStopped(t, tg.PID)
}

// TestTrackWritesExactUnderChurn is TestPrecopyExactUnderChurn with write
// tracking: every page exactly what one instant held, 20 times.
func TestTrackWritesExactUnderChurn(t *testing.T) {
	needSoftDirty(t)
	// Two stamping threads, not four: under emulation four starve the capture.
	ct := startChurn(t, 2, envInt(t, churnPagesEnv, 4096))
	for round := range envInt(t, trackRoundsEnv, 20) {
		r, _, _ := captureFile(t, ct.PID, Options{TrackWrites: true})
		if f := r.Freeze(); f == nil || f.Changes != "soft-dirty" {
			t.Fatalf("round %d: freeze record %+v, want changes soft-dirty", round, f)
		}
		ctl := archiveBytes(t, r, ct.ctl, 4096)
		for i, base := range ct.stamps {
			if err := ct.checkStamps(t, r, base, binary.LittleEndian.Uint64(ctl[8*i:])); err != nil {
				t.Errorf("round %d, thread %d: %v", round, i, err)
			}
		}
		if _, err := checkSlots(t, r, ctl[64*8:]); err != nil {
			t.Errorf("round %d: %v", round, err)
		}
		// The churn target writes every page it owns: tracking saves nothing
		// here; TestTrackWritesFreeze shows what it saves.
		proctest.CheckNotStopped(t, ct.PID)
	}
}

const trackRoundsEnv = "PROCSNAP_TRACK_ROUNDS"

// TestTrackWritesFreeze captures a target with 256 MiB that barely
// changes, with and without write tracking, side by side. With tracking
// the freeze re-reads only the few written pages (asserted: that is what
// the kernel says); how much shorter the freeze is, is measured and
// reported (MEASURE lines, which make test-kernels prints), not asserted.
func TestTrackWritesFreeze(t *testing.T) {
	needSoftDirty(t)
	tg := proctest.StartThreads(t, 2, 256)
	var with, without []time.Duration
	for range envInt(t, trackFreezeRoundsEnv, 3) {
		_, plain, _ := captureFile(t, tg.PID, Options{})
		_, tracked, _ := captureFile(t, tg.PID, Options{TrackWrites: true})
		if tracked.RereadBytes > tracked.PrecopyBytes/10 {
			t.Errorf("with tracking, re-read %d bytes of %d pre-copied: more than a tenth of a target that writes little", tracked.RereadBytes, tracked.PrecopyBytes)
		}
		without, with = append(without, plain.Frozen), append(with, tracked.Frozen)
	}
	slices.Sort(with)
	slices.Sort(without)
	mw, mo := with[len(with)/2], without[len(without)/2]
	t.Logf("MEASURE frozen, 256 MiB target writing little, median of %d: without tracking %v, with --track-writes %v: %.1fx shorter",
		len(with), mo, mw, float64(mo)/float64(max(mw, 1)))
}

const trackFreezeRoundsEnv = "PROCSNAP_TRACK_FREEZE_ROUNDS"
