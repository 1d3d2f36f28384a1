package capture

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/procsnap/procsnap/internal/proctest"
	"github.com/procsnap/procsnap/procfs"
)

// scanEnv says whether the kernel under test has PAGEMAP_SCAN ("yes" or
// "no"): make test-kernels sets it from the kernel's version and
// configuration, and the test asserts it.
const scanEnv = "PROCSNAP_KERNEL_PAGEMAP_SCAN"

// TestPlanSparseRegion plans the content target's 16 GiB sparse region and
// checks the plan against the target: a read run for each page it wrote,
// zero runs for the rest. The plan asks PAGEMAP_SCAN first and reads
// pagemap entries where the kernel has none (the fallback); the test
// finds out which the kernel answers, with the very call the plan makes,
// and, where make test-kernels says which the kernel has, fails unless it
// answers so. On Debian's 6.1 kernel a green run has therefore planned
// from pagemap entries, and every capture test there with it.
func TestPlanSparseRegion(t *testing.T) {
	ct := startContent(t)
	pfs := procfs.Default()
	_, maps, err := pfs.Maps(ct.PID)
	if err != nil {
		t.Fatal(err)
	}
	o := ct.objs["sparse"]
	i := slices.IndexFunc(maps, func(m procfs.Mapping) bool { return m.Start == o.addr })
	if i < 0 {
		t.Fatalf("no mapping starts at the sparse region %#x", o.addr)
	}
	checkScanAsConfigured(t, pfs, ct.PID, maps[i])

	plans := makePlan(pfs, ct.PID, maps[i:i+1], 4096, false)
	defer closePlans(plans)
	var want []planRun
	at := o.addr
	for _, pg := range ct.sparsePages { // in increasing order
		a := o.addr + pg*4096
		if a > at {
			want = append(want, planRun{start: at, end: a, kind: runZero})
		}
		if n := len(want); n > 0 && want[n-1].kind == runRead && want[n-1].end == a {
			want[n-1].end = a + 4096
		} else {
			want = append(want, planRun{start: a, end: a + 4096, kind: runRead})
		}
		at = a + 4096
	}
	if at < o.addr+sparseLen {
		want = append(want, planRun{start: at, end: o.addr + sparseLen, kind: runZero})
	}
	if got := plans[0].runs; !slices.Equal(got, want) {
		t.Errorf("plan of the sparse region:\n got %v\nwant %v", got, want)
	}
	proctest.CheckNotStopped(t, ct.PID)
}

// checkScanAsConfigured asks PAGEMAP_SCAN about mapping m of pid, as
// pagemapRuns does, and checks the answer against $PROCSNAP_KERNEL_PAGEMAP_SCAN.
func checkScanAsConfigured(t *testing.T, pfs procfs.FS, pid int, m procfs.Mapping) {
	t.Helper()
	pm, err := pfs.OpenPagemap(pid, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	err = pm.Touched(m.Start, m.End, func(a, b uint64) {})
	has := !errors.Is(err, procfs.ErrScanUnsupported)
	if has && err != nil {
		t.Logf("PAGEMAP_SCAN failed (%v): the plan falls back to pagemap entries", err)
	}
	path := map[bool]string{true: "PAGEMAP_SCAN", false: "pagemap entries (no PAGEMAP_SCAN)"}[has]
	switch want := os.Getenv(scanEnv); want {
	case "":
		t.Logf("the kernel plans with %s ($%s is not set)", path, scanEnv)
	case "yes", "no":
		if has != (want == "yes") {
			t.Fatalf("$%s=%s, but the kernel plans with %s", scanEnv, want, path)
		}
		t.Logf("the kernel plans with %s, as $%s=%s says", path, scanEnv, want)
	default:
		t.Fatalf("$%s is %q, want yes or no", scanEnv, want)
	}
}
