package capture

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
)

// TestCaptureFreezesWholeProcess captures a target whose 32 counting
// threads store each count first in A[i] and then in B[i], 1 GiB away, while
// another thread keeps creating short-lived threads. If any thread ran
// while the capture read memory, some A[i] and B[i] would be far apart in
// the archive. After every capture the target runs on.
func TestCaptureFreezesWholeProcess(t *testing.T) {
	tg := proctest.StartThreads(t, 32, 0)
	if d := tg.B - tg.A; d < 1<<30-4096 {
		t.Fatalf("B is %#x bytes above A, want about 1 GiB", d)
	}
	prev := make([]uint64, tg.N)
	for round := range envInt(t, freezeRoundsEnv, 10) {
		r, res, _ := captureFile(t, tg.PID, Options{})
		if ra, rb := r.Find(tg.A), r.Find(tg.B); ra == nil || rb == nil || ra == rb {
			t.Fatalf("round %d: A and B are not in two captured regions", round)
		}
		a := proctest.Words(archiveBytes(t, r, tg.A, 8*tg.N))
		b := proctest.Words(archiveBytes(t, r, tg.B, 8*tg.N))
		for i := range a {
			if a[i] != b[i] && a[i] != b[i]+1 {
				t.Errorf("round %d: slot %d has A=%d B=%d: the process was not frozen while it was read", round, i, a[i], b[i])
			}
			if b[i] == 0 || b[i] < prev[i] {
				t.Errorf("round %d: slot %d: B=%d, previous capture %d", round, i, b[i], prev[i])
			}
		}
		copy(prev, b)
		// 32 counters, the spawner, the main thread, maybe a short-lived one.
		if res.Threads < tg.N+1 || len(r.Threads()) != res.Threads {
			t.Errorf("round %d: Result.Threads %d, archive %d thread records, want at least %d", round, res.Threads, len(r.Threads()), tg.N+1)
		}
		if r.Threads()[0].TID != tg.PID {
			t.Errorf("round %d: first thread record is %d, want the leader %d", round, r.Threads()[0].TID, tg.PID)
		}
		tg.CheckRunning(t)
	}
}

// TestCaptureKeepsStoppedProcessStopped: a process stopped by SIGSTOP before
// the capture is still stopped after it; procsnap never sends SIGCONT.
func TestCaptureKeepsStoppedProcessStopped(t *testing.T) {
	tg := proctest.StartThreads(t, 32, 0)
	proctest.Suspend(t, tg.PID)
	before, _ := tg.Counters(t)
	captureFile(t, tg.PID, Options{})
	for range 5 {
		proctest.WaitAll(t, tg.PID, 'T')
		time.Sleep(20 * time.Millisecond)
	}
	if after, _ := tg.Counters(t); !slices.Equal(before, after) {
		t.Error("counters moved after the capture of a stopped process: it was resumed")
	}
	if err := syscall.Kill(tg.PID, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	tg.CheckRunning(t)
}
