package capture

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
)

// churnTarget is a running testdata/capture/churn.c.
type churnTarget struct {
	*proctest.Proc
	ctl    uint64
	stamps []uint64
	pages  int
}

const churnSlots = 8

func startChurn(t *testing.T, threads, pages int) *churnTarget {
	t.Helper()
	p := proctest.StartC(t, "capture/churn.c", strconv.Itoa(threads), strconv.Itoa(pages))
	ct := &churnTarget{Proc: p, pages: pages}
	for _, line := range p.Lines {
		f := strings.Fields(line)
		if len(f) == 2 && (f[0] == "ctl" || f[0] == "stamp") {
			a, err := strconv.ParseUint(f[1], 0, 64)
			if err != nil {
				t.Fatalf("churn said %q", line)
			}
			if f[0] == "ctl" {
				ct.ctl = a
			} else {
				ct.stamps = append(ct.stamps, a)
			}
		}
	}
	if ct.ctl == 0 || len(ct.stamps) != threads {
		t.Fatalf("churn said %q", p.Lines)
	}
	return ct
}

// Environment variables that shrink the capture tests where the CPU is
// slow (make test-kernels' emulated guest, about 35 times slower): the
// captures of TestPrecopyExactUnderChurn (default 20) and of
// TestCaptureFreezesWholeProcess (default 10), the pages each stamping
// thread of the churn target owns (default 4096), and the MiB of the
// random region TestCaptureSmallBuffer captures three times (default 64).
const (
	churnRoundsEnv  = "PROCSNAP_CHURN_ROUNDS"
	churnPagesEnv   = "PROCSNAP_CHURN_PAGES"
	freezeRoundsEnv = "PROCSNAP_FREEZE_ROUNDS"
	bigMiBEnv       = "PROCSNAP_BIG_MIB"
)

// envInt is the positive integer in the environment variable name, or def.
func envInt(t testing.TB, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("$%s is %q, want a positive integer", name, v)
	}
	return n
}

// TestPrecopyExactUnderChurn captures a target whose threads stamp
// generations into their pages and whose mappings keep appearing, growing
// and vanishing, 20 times. Every archive must hold, for every page, exactly
// what one instant held: each thread's pages agree with its position word
// (no sampling), and every mapping the target says is settled is there
// with its exact content.
func TestPrecopyExactUnderChurn(t *testing.T) {
	rounds, pages := envInt(t, churnRoundsEnv, 20), envInt(t, churnPagesEnv, 4096)
	ct := startChurn(t, 4, pages) // 4 × 16 MiB by default, rewritten without pause
	var changed uint64
	for round := range rounds {
		r, res, _ := captureFile(t, ct.PID, Options{})
		if res.Mode != ModePrecopy || r.Freeze() == nil || r.Freeze().Mode != "precopy" {
			t.Fatalf("round %d: mode %q, freeze record %+v", round, res.Mode, r.Freeze())
		}
		changed += res.ChangedBytes
		ctl := archiveBytes(t, r, ct.ctl, 4096)
		for i, base := range ct.stamps {
			if err := ct.checkStamps(t, r, base, binary.LittleEndian.Uint64(ctl[8*i:])); err != nil {
				t.Errorf("round %d, thread %d: %v", round, i, err)
			}
		}
		if n, err := checkSlots(t, r, ctl[64*8:]); err != nil {
			t.Errorf("round %d: %v", round, err)
		} else if round == 0 && n == 0 {
			t.Errorf("round %d: no settled mapping to check", round)
		}
		proctest.CheckNotStopped(t, ct.PID)
	}
	if changed == 0 {
		t.Errorf("no page changed between the pre-copy and the freeze in %d captures: the test exercised nothing", rounds)
	}
}

// checkStamps checks one thread's pages against its position word pos.
func (ct *churnTarget) checkStamps(t *testing.T, r *format.Reader, base, pos uint64) error {
	b := archiveBytes(t, r, base, ct.pages*4096)
	n := uint64(ct.pages)
	c, k := pos/n, pos%n
	for i := uint64(0); i < n; i++ {
		v := binary.LittleEndian.Uint64(b[i*4096:])
		ok := (i < k && v == c+1) || (i > k && v == c) || (i == k && (v == c || v == c+1))
		if !ok {
			return fmt.Errorf("position %d (sweep %d, page %d): page %d holds generation %d, which no instant had", pos, c+1, k, i, v)
		}
	}
	return nil
}

// checkSlots checks every settled mapping of the region thread; it
// returns how many there were.
func checkSlots(t *testing.T, r *format.Reader, slots []byte) (int, error) {
	n := 0
	for i := range churnSlots {
		state := binary.LittleEndian.Uint64(slots[16*i:])
		addr := binary.LittleEndian.Uint64(slots[16*i+8:])
		if state == 0 {
			continue // changing at the instant of the freeze
		}
		tag, pages := state>>32, state&0xffffffff
		g := r.Find(addr)
		if g == nil || g.Desc.End < addr+pages*4096 {
			return n, fmt.Errorf("slot %d: no region holds %#x+%d pages", i, addr, pages)
		}
		b := archiveBytes(t, r, addr, int(pages*4096))
		for j := range b {
			if want := byte(tag + uint64(j)/4096); b[j] != want {
				return n, fmt.Errorf("slot %d: byte %d of %#x is %d, want %d", i, j, addr, b[j], want)
			}
		}
		n++
	}
	return n, nil
}

// TestPrecopyTornMaps captures, 30 times, a target whose thread grows and
// shrinks a mapping with mremap without pause (testdata/procfs/src/remap.c):
// about one listing of its maps in 300 shows that mapping twice,
// overlapping, and the pre-copy plans from a listing of the running
// target. Every archive must open and verify without a problem. (Before
// procfs re-read and mended torn listings, a torn pre-copy listing made
// overlapping pre-copy regions that the reader calls corrupt; the writer
// now refuses them. About one capture in 100 met a torn listing then, so
// this is a smoke test: procfs's TestLiveMapsInOrder is the one that
// meets torn listings every run.)
func TestPrecopyTornMaps(t *testing.T) {
	p := proctest.StartC(t, "procfs/src/remap.c", "1")
	for range envInt(t, churnRoundsEnv, 30) {
		r, res, _ := captureFile(t, p.PID, Options{})
		if res.Mode != ModePrecopy || len(r.PrecopyRegions()) < 256 {
			t.Fatalf("mode %q, %d pre-copy regions: want a pre-copy of the 256 slots", res.Mode, len(r.PrecopyRegions()))
		}
		proctest.CheckNotStopped(t, p.PID)
	}
}
