package procfs

import (
	"errors"
	"os"
	"reflect"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestTouchedScan maps 1 GiB without touching it, touches a few pages, and
// checks that PAGEMAP_SCAN reports exactly those, merged into runs, and
// that ReadEntries agrees.
func TestTouchedScan(t *testing.T) {
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
	if errors.Is(err, ErrScanUnsupported) {
		t.Skip("kernel without PAGEMAP_SCAN (Linux < 6.7)")
	}
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
