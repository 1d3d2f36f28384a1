package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/procsnap/procsnap/cmd/psbench/internal/benchtarget"
	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/writeback"
	"github.com/procsnap/procsnap/procfs"
	"github.com/procsnap/procsnap/snapshot/capture"
	"golang.org/x/sys/unix"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "psprofile:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	size := flag.String("size", "2GiB", "size of the target's mixed region (KiB, MiB, GiB)")
	runs := flag.Int("runs", 3, "captures to profile")
	out := flag.String("out", "psprofile", "directory for the profiles and archives")
	churn := flag.Int("churn", 4, "pages the target rewrites per millisecond")
	mode := flag.String("freeze", "precopy", "freeze mode: precopy or whole")
	cc := flag.String("cc", "cc", "C compiler for the target")
	src := flag.String("target", "cmd/psbench/target/target.c", "the bench target's source")
	flag.Parse()
	n, err := parseSize(*size)
	if err != nil {
		return err
	}
	m, err := capture.ParseMode(*mode)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	t, err := startTarget(ctx, *cc, *src, *out, n, *churn)
	if err != nil {
		return err
	}
	defer t.Stop()
	if err := t.Churn(true); err != nil {
		return err
	}
	for i := range *runs {
		tl, err := profileRun(ctx, t.PID, *out, i, m)
		if err != nil {
			return err
		}
		fmt.Print(tl)
	}
	return nil
}

// startTarget builds the bench target from src with cc into dir and starts
// it with a region of size bytes, churning pages per millisecond. Its
// monitor sleeps 50 µs, as make bench's. No Pdeathsig: it fires when the
// forking OS thread exits, and capture.Run's ptrace goroutine ends its
// locked thread at the thaw, which may be that one. The target exits when
// its stdin closes.
func startTarget(ctx context.Context, cc, src, dir string, size int64, churn int) (*benchtarget.Target, error) {
	source, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	bin, err := benchtarget.Build(ctx, cc, dir, "target", source)
	if err != nil {
		return nil, err
	}
	return benchtarget.Start(ctx, bin, benchtarget.Options{Size: size, Sleep: 50 * time.Microsecond, Churn: churn, Stderr: os.Stderr})
}

// marks are the times (CLOCK_MONOTONIC ns) at which the capture's progress
// callbacks first reported each phase, and last reported the final pass.
type marks struct {
	mu       sync.Mutex
	first    map[capture.Phase]int64
	lastPass int64
	last     capture.Phase
	onChange func(capture.Phase)
}

func (m *marks) progress(p capture.Progress) {
	now := monoNow()
	m.mu.Lock()
	defer m.mu.Unlock()
	if p.Phase == capture.PhaseFrozen {
		m.lastPass = now
	}
	if p.Phase == m.last {
		return
	}
	m.last = p.Phase
	if _, ok := m.first[p.Phase]; !ok {
		m.first[p.Phase] = now
		m.onChange(p.Phase)
	}
}

// profileRun captures pid once into dir, one CPU profile per phase, and
// returns its timeline.
func profileRun(ctx context.Context, pid int, dir string, i int, mode capture.Mode) (string, error) {
	rot := newRotator(dir, i)
	mk := &marks{first: map[capture.Phase]int64{}, onChange: rot.to}
	path := filepath.Join(dir, fmt.Sprintf("run%d.psnap", i))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer os.Remove(path)
	// Reset the peak RSS (VmHWM) so that it is this run's.
	procfs.Default().ResetPeakRSS(os.Getpid()) //nolint:errcheck // the figure is then the process's
	rot.to(capture.PhasePreparing)
	start := monoNow()
	// Through the writeback procsnap capture writes with, so that the
	// fsync phase is the one procsnap pays.
	res, err := capture.Run(ctx, pid, writeback.New(f), capture.Options{Mode: mode, ToolVersion: "psprofile", Progress: mk.progress})
	ran := monoNow()
	rot.to(phaseFsync)
	serr := f.Sync()
	synced := monoNow()
	rot.stop()
	f.Close()
	if err != nil || serr != nil {
		return "", fmt.Errorf("capture: %v %v", err, serr)
	}
	return timeline(path, i, res, mk, start, ran, synced)
}

// timeline renders one run's phases in milliseconds from the start of Run.
func timeline(path string, i int, res *capture.Result, mk *marks, start, ran, synced int64) (string, error) {
	r, err := format.Open(path)
	if err != nil {
		return "", err
	}
	defer r.Close()
	fz, end, meta := r.Freeze(), r.End(), r.Meta()
	if fz == nil || end == nil {
		return "", fmt.Errorf("%s lacks its freeze or end record", path)
	}
	wallToMono := func(t time.Time) int64 { return meta.CaptureStartMono + t.Sub(meta.CaptureStart).Nanoseconds() }
	ms := func(a, b int64) string { return fmt.Sprintf("%8.1f ms", float64(b-a)/1e6) }
	passStart, passEnd := mk.first[capture.PhaseFrozen], mk.lastPass
	var b strings.Builder
	var ms2 runtime.MemStats
	runtime.ReadMemStats(&ms2)
	fmt.Fprintf(&b, "run %d: %s archive, pre-copied %d MiB, re-read %d MiB, changed %.1f MiB, frozen %s (end record)\n", i,
		mib(res.ArchiveBytes), res.PrecopyBytes>>20, res.RereadBytes>>20, float64(res.ChangedBytes)/(1<<20), time.Duration(end.FrozenNS))
	fmt.Fprintf(&b, "  memory: peak RSS %s (VmHWM), Go heap from the system %s, Go runtime in all %s\n",
		vmHWM(), mib(int64(ms2.HeapSys)), mib(int64(ms2.Sys)))
	rows := [][2]string{
		{"prepare (preflight, meta, writer, store)", ms(start, meta.CaptureStartMono)},
	}
	if !fz.PrecopyStart.IsZero() {
		rows = append(rows,
			[2]string{"pre-copy", ms(wallToMono(fz.PrecopyStart), wallToMono(fz.PrecopyEnd))},
			[2]string{"pre-copy end to freeze start (store reserve)", ms(wallToMono(fz.PrecopyEnd), fz.StartMono)})
	}
	rows = append(rows,
		[2]string{"freeze start to final pass (stop tasks, maps, regs, plan)", ms(fz.StartMono, passStart)},
		[2]string{"final pass (last progress call)", ms(passStart, passEnd)},
		[2]string{"last pass progress to thaw end", ms(passEnd, end.FreezeEndMono)},
		[2]string{"thaw to end record (write changed, close)", ms(end.FreezeEndMono, end.FinishedMono)},
		[2]string{"end record to Run's return", ms(end.FinishedMono, ran)},
		[2]string{"fsync", ms(ran, synced)},
		[2]string{"total", ms(start, synced)},
		[2]string{"frozen (freeze start to thaw end)", ms(fz.StartMono, end.FreezeEndMono)})
	for _, row := range rows {
		fmt.Fprintf(&b, "  %-58s %s\n", row[0], row[1])
	}
	return b.String(), nil
}

// vmHWM is this process's peak RSS since the last ResetPeakRSS.
func vmHWM() string {
	n, err := procfs.Default().PeakRSS(os.Getpid())
	if err != nil {
		return "unknown"
	}
	return mib(n)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func monoNow() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) //nolint:errcheck // never fails for this clock
	return ts.Nano()
}

// parseSize reads 4096, 256MiB or 2GiB.
func parseSize(s string) (int64, error) {
	for suffix, shift := range map[string]uint{"KiB": 10, "MiB": 20, "GiB": 30} {
		if v, ok := strings.CutSuffix(s, suffix); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n << shift, err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
