package procfs

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// scanEnv says whether the kernel under test has PAGEMAP_SCAN ("yes" or "no"): make
// test-kernels sets it from the kernel's version and configuration. Unset, the tests find out
// and skip where it is missing.
const scanEnv = "PROCSNAP_KERNEL_PAGEMAP_SCAN"

// scanSupported asks the kernel, with a scan of one page, whether it has PAGEMAP_SCAN.
func scanSupported(t *testing.T) bool {
	t.Helper()
	ps := os.Getpagesize()
	b := mmap(t, ps, unix.MAP_PRIVATE)
	r, err := Default().OpenPagemap(os.Getpid(), ps)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	err = r.Touched(addrOf(b), addrOf(b)+uint64(ps), func(a, e uint64) {})
	if errors.Is(err, ErrScanUnsupported) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// skipWithoutScan skips a test of PAGEMAP_SCAN on kernels without it, before it builds a
// large mapping for nothing.
func skipWithoutScan(t *testing.T) {
	t.Helper()
	if !scanSupported(t) {
		t.Skip("kernel without PAGEMAP_SCAN (Linux < 6.7)")
	}
}

// TestScanAsConfigured: the kernel has PAGEMAP_SCAN exactly when make test-kernels says so
// from its configuration. Where it has none, capture plans from pagemap entries (the
// fallback), so a green run on such a kernel has tested the fallback.
func TestScanAsConfigured(t *testing.T) {
	want := os.Getenv(scanEnv)
	if want == "" {
		t.Skipf("$%s is not set (make test-kernels sets it from the kernel's configuration)", scanEnv)
	}
	if got := scanSupported(t); got != (want == "yes") {
		t.Errorf("PAGEMAP_SCAN supported: %v, but $%s=%s", got, scanEnv, want)
	}
}

// TestTouchedScan maps 1 GiB without touching it, touches a few pages, and
// checks that PAGEMAP_SCAN reports exactly those, merged into runs, and
// that ReadEntries agrees.
func TestTouchedScan(t *testing.T) {
	skipWithoutScan(t)
	const size = 1 << 30
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(b)
	ps := os.Getpagesize()
	for _, p := range []int{0, 1, 2, 100, 5000, size/ps - 1} {
		b[p*ps] = 1
	}
	r, err := Default().OpenPagemap(os.Getpid(), ps)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	base := uint64(uintptr(unsafe.Pointer(&b[0])))
	var got [][2]uint64
	err = r.Touched(base, base+size, func(a, e uint64) {
		got = append(got, [2]uint64{(a - base) / uint64(ps), (e - base) / uint64(ps)})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]uint64{{0, 3}, {100, 101}, {5000, 5001}, {size/uint64(ps) - 1, size / uint64(ps)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("touched runs %v, want %v", got, want)
	}
	entries := make([]PageEntry, 5001)
	if err := r.ReadEntries(entries, base); err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		present := i < 3 || i == 100 || i == 5000
		if e.Present() != present {
			t.Fatalf("page %d: ReadEntries present=%v, scan says %v", i, e.Present(), present)
		}
	}
}

// TestTouchedManyRuns touches every other page of a mapping so that one
// PAGEMAP_SCAN answer holds more than the kernel's internal 512-entry
// pass (513), fills the result vector exactly (4,096) and needs many calls
// (100,000). The kernel repeats runs in these cases; Touched must hand out
// each run once, in order, and agree with the pagemap entries.
func TestTouchedManyRuns(t *testing.T) {
	skipWithoutScan(t)
	ps := os.Getpagesize()
	for _, runs := range []int{512, 513, 4096, 4097, 100000} {
		t.Run(strconv.Itoa(runs), func(t *testing.T) {
			size := 2 * runs * ps
			b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Munmap(b)
			if err := unix.Madvise(b, unix.MADV_NOHUGEPAGE); err != nil {
				t.Fatal(err)
			}
			for i := range runs {
				b[2*i*ps] = 1
			}
			r, err := Default().OpenPagemap(os.Getpid(), ps)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			base := uint64(uintptr(unsafe.Pointer(&b[0])))
			var got []uint64
			err = r.Touched(base, base+uint64(size), func(a, e uint64) {
				if e-a != uint64(ps) {
					t.Errorf("run %#x-%#x: want one page", a, e)
				}
				got = append(got, (a-base)/uint64(ps))
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != runs {
				t.Fatalf("%d runs handed out, want %d", len(got), runs)
			}
			for i, p := range got {
				if p != uint64(2*i) {
					t.Fatalf("run %d at page %d, want page %d", i, p, 2*i)
				}
			}
		})
	}
}

// TestScanCursor feeds the cursor answers a kernel could give, hostile
// ones included.
func TestScanCursor(t *testing.T) {
	const ps = 4096
	pr := func(a, b uint64) pageRegion { return pageRegion{start: a * ps, end: b * ps} }
	type call struct {
		vec     []pageRegion
		walkEnd uint64 // in pages
		full    bool
	}
	cases := []struct {
		name    string
		calls   []call
		want    [][2]uint64 // runs handed out, in pages
		wantErr bool
	}{
		{"plain", []call{{[]pageRegion{pr(0, 2), pr(5, 6)}, 10, false}}, [][2]uint64{{0, 2}, {5, 6}}, false},
		{"walk end points back, runs repeated", []call{
			{[]pageRegion{pr(0, 1), pr(2, 3), pr(4, 5)}, 2, false},
			{[]pageRegion{pr(4, 5), pr(6, 7)}, 10, false},
		}, [][2]uint64{{0, 1}, {2, 3}, {4, 5}, {6, 7}}, false},
		{"overlap is cut", []call{
			{[]pageRegion{pr(0, 4)}, 2, false},
			{[]pageRegion{pr(4, 6)}, 10, false},
		}, [][2]uint64{{0, 4}, {4, 6}}, false},
		{"full vector resumes after the last run", []call{
			{[]pageRegion{pr(1, 2), pr(3, 4)}, 9, true},
			{[]pageRegion{pr(5, 6)}, 10, false},
		}, [][2]uint64{{1, 2}, {3, 4}, {5, 6}}, false},
		{"unaligned", []call{{[]pageRegion{{start: 1, end: ps}}, 10, false}}, nil, true},
		{"empty run", []call{{[]pageRegion{pr(3, 3)}, 10, false}}, nil, true},
		{"beyond the end", []call{{[]pageRegion{pr(9, 11)}, 10, false}}, nil, true},
		{"before the start", []call{{[]pageRegion{pr(2, 3)}, 10, false}}, nil, true},
		{"no progress", []call{{nil, 0, false}}, nil, true},
		{"walk end beyond the end", []call{{nil, 11, false}}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := scanCursor{start: 0, at: 0, end: 10 * ps, pageSize: ps}
			if tc.name == "before the start" {
				c.start, c.at = 4*ps, 4*ps
			}
			var got [][2]uint64
			var err error
			for _, k := range tc.calls {
				if err = c.take(k.vec, k.walkEnd*ps, k.full, func(a, b uint64) { got = append(got, [2]uint64{a / ps, b / ps}) }); err != nil {
					break
				}
			}
			if tc.wantErr {
				if !errors.Is(err, ErrScanInconsistent) {
					t.Fatalf("error %v, want ErrScanInconsistent", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("runs %v, want %v", got, tc.want)
			}
			if c.at != 10*ps {
				t.Fatalf("cursor at page %d, want 10", c.at/ps)
			}
		})
	}
}
