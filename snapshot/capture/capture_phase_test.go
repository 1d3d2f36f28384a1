package capture

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
)

// captureWith captures pid with a Progress hook that may act at a phase,
// and opens whatever archive was written.
func captureWith(t *testing.T, pid int, hook func(Progress, context.CancelCauseFunc)) (*format.Reader, *Result, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "capture.psnap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	res, cerr := Run(ctx, pid, f, Options{Progress: func(p Progress) { hook(p, cancel) }})
	f.Close()
	if res == nil {
		return nil, nil, cerr
	}
	r, err := format.Open(path)
	if err != nil {
		t.Fatalf("open the archive: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r, res, cerr
}

var errTestStop = errors.New("stopped by the test")

// TestInterruptedInEachPhase cancels a capture in each phase: the target
// is never left stopped, and the archive says what it holds: before the
// freeze, only a pre-copy that is not one instant; after it, an incomplete
// final section.
func TestInterruptedInEachPhase(t *testing.T) {
	for _, phase := range []Phase{PhasePrecopy, PhaseFrozen, PhaseWriting} {
		t.Run(string(phase), func(t *testing.T) {
			ct := startChurn(t, 2, envInt(t, churnPagesEnv, 4096))
			r, res, err := captureWith(t, ct.PID, func(p Progress, cancel context.CancelCauseFunc) {
				if p.Phase == phase {
					cancel(errTestStop)
				}
			})
			var ie *IncompleteError
			if !errors.As(err, &ie) || !errors.Is(err, errTestStop) || res.Complete || r.Complete() {
				t.Fatalf("error %v, Result.Complete %v: want an IncompleteError caused by the test", err, res.Complete)
			}
			before := phase == PhasePrecopy
			if got := r.Inconsistent() != ""; got != before {
				t.Errorf("Inconsistent %q after a stop in %s", r.Inconsistent(), phase)
			}
			if before && !strings.Contains(r.End().Reason, "not one instant") {
				t.Errorf("end reason %q does not say the archive is not one instant", r.End().Reason)
			}
			proctest.CheckNotStopped(t, ct.PID)
		})
	}
}

// TestTargetExitsDuringPrecopy kills the target while it is pre-copied:
// capture ends with ErrTargetExited and an archive that says it holds only
// the pre-copy.
func TestTargetExitsDuringPrecopy(t *testing.T) {
	ct := startChurn(t, 2, envInt(t, churnPagesEnv, 4096))
	killed := false
	r, res, err := captureWith(t, ct.PID, func(p Progress, _ context.CancelCauseFunc) {
		if p.Phase == PhasePrecopy && !killed {
			killed = true
			syscall.Kill(ct.PID, syscall.SIGKILL)
			ct.Wait()
			time.Sleep(10 * time.Millisecond)
		}
	})
	if !errors.Is(err, ErrTargetExited) || res.Complete {
		t.Fatalf("error %v, Result.Complete %v: want ErrTargetExited", err, res.Complete)
	}
	if r.Inconsistent() == "" || r.Freeze() != nil || !strings.Contains(r.End().Reason, "exited") {
		t.Errorf("inconsistent %q, freeze %+v, reason %q", r.Inconsistent(), r.Freeze(), r.End().Reason)
	}
}
