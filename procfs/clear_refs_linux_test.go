package procfs

import (
	"errors"
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// softDirtyEnv says whether the kernel under test tracks writes in pagemap bit 55 ("yes" or
// "no"): make test-kernels sets it from the kernel's own configuration
// (CONFIG_MEM_SOFT_DIRTY), and the test then asserts it. Unset, the test finds out and skips
// where the kernel does not track.
const softDirtyEnv = "PROCSNAP_KERNEL_SOFT_DIRTY"

// TestLiveSoftDirty checks, on this process, what write tracking by soft-dirty would rely on:
// a written page is soft-dirty; ClearSoftDirty clears every page; afterwards a page is
// soft-dirty again exactly when written, whether by the process, by the kernel on its behalf
// (read(2) into it) or by another process (process_vm_writev, here from itself); a mapping
// made after the clear is soft-dirty whole, and so are pages moved by mremap.
func TestLiveSoftDirty(t *testing.T) {
	pid, ps := os.Getpid(), os.Getpagesize()
	b := mmap(t, 8*ps, unix.MAP_PRIVATE)
	if err := unix.Madvise(b, unix.MADV_NOHUGEPAGE); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		b[i*ps] = 1
	}
	tracks := softDirty(t, pid, b, ps)[0]
	switch want := os.Getenv(softDirtyEnv); {
	case want == "yes" && !tracks:
		t.Fatalf("$%s=yes, but a written page is not soft-dirty (pagemap bit 55 is 0)", softDirtyEnv)
	case want == "no" && tracks:
		t.Fatalf("$%s=no, but a written page is soft-dirty", softDirtyEnv)
	case !tracks:
		t.Skip("this kernel does not track writes with soft-dirty: pagemap bit 55 stays 0 after a write (CONFIG_MEM_SOFT_DIRTY is not set)")
	}
	if err := live.ClearSoftDirty(pid); err != nil {
		t.Fatal(err)
	}
	wantDirty(t, "after ClearSoftDirty", softDirty(t, pid, b, ps))

	b[0] = 2 // the process writes
	kernelWrite(t, b[ps:ps+8])
	otherWrite(t, pid, b[2*ps:2*ps+8])
	wantDirty(t, "after writes to pages 0 (by the process), 1 (by read(2)) and 2 (by process_vm_writev)",
		softDirty(t, pid, b, ps), 0, 1, 2)

	if err := live.ClearSoftDirty(pid); err != nil {
		t.Fatal(err)
	}
	wantDirty(t, "after a second ClearSoftDirty", softDirty(t, pid, b, ps))

	fresh := mmap(t, 2*ps, unix.MAP_PRIVATE) // untouched: not even present
	wantDirty(t, "a mapping made after the clear, never written", softDirty(t, pid, fresh, ps), 0, 1)

	// Move pages 4 and 5 of b over fresh, which then shows them.
	if _, _, errno := unix.Syscall6(unix.SYS_MREMAP, uintptr(unsafe.Pointer(&b[4*ps])), uintptr(2*ps), uintptr(2*ps),
		unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, uintptr(unsafe.Pointer(&fresh[0])), 0); errno != 0 {
		t.Fatalf("mremap: %v", errno)
	}
	if fresh[0] != 1 || fresh[ps] != 1 {
		t.Fatal("mremap did not move pages 4 and 5 over the fresh mapping")
	}
	wantDirty(t, "pages 4 and 5 moved by mremap, not written", softDirty(t, pid, fresh, ps), 0, 1)
	wantDirty(t, "the pages that stayed", softDirty(t, pid, b[:4*ps], ps))
}

// softDirty reads the soft-dirty bit of each page of b.
func softDirty(t *testing.T, pid int, b []byte, ps int) []bool {
	t.Helper()
	a := addrOf(b)
	entries, err := live.Pagemap(pid, a, a+uint64(len(b)), ps)
	if err != nil {
		t.Fatal(err)
	}
	dirty := make([]bool, len(entries))
	for i, e := range entries {
		dirty[i] = e.SoftDirty()
	}
	return dirty
}

// wantDirty checks that exactly the listed pages are soft-dirty.
func wantDirty(t *testing.T, when string, got []bool, pages ...int) {
	t.Helper()
	want := make([]bool, len(got))
	for _, p := range pages {
		want[p] = true
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: page %d soft-dirty %v, want %v (all: %v)", when, i, got[i], want[i], got)
		}
	}
}

// kernelWrite has the kernel write into b: read(2) from a pipe.
func kernelWrite(t *testing.T, b []byte) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	if _, err := unix.Write(p[1], []byte("kernel w")); err != nil {
		t.Fatal(err)
	}
	if n, err := unix.Read(p[0], b); err != nil || n != len(b) {
		t.Fatalf("read(2) into the page: %d bytes, %v", n, err)
	}
}

// otherWrite writes into b through process_vm_writev, the way another process would.
func otherWrite(t *testing.T, pid int, b []byte) {
	t.Helper()
	src := []byte("remote w")
	local := []unix.Iovec{{Base: &src[0]}}
	local[0].SetLen(len(src))
	remote := []unix.RemoteIovec{{Base: uintptr(addrOf(b)), Len: len(src)}}
	if n, err := unix.ProcessVMWritev(pid, local, remote, 0); err != nil || n != len(src) {
		t.Fatalf("process_vm_writev: %d bytes, %v", n, err)
	}
}

// TestCheckSoftDirty: CheckSoftDirty agrees with the kernel under test.
func TestCheckSoftDirty(t *testing.T) {
	err := live.CheckSoftDirty()
	switch want := os.Getenv(softDirtyEnv); {
	case want == "yes" && err != nil:
		t.Fatalf("$%s=yes, but CheckSoftDirty says %v", softDirtyEnv, err)
	case want == "no" && err == nil:
		t.Fatalf("$%s=no, but CheckSoftDirty finds soft-dirty", softDirtyEnv)
	case err != nil && !errors.Is(err, ErrNoSoftDirty):
		t.Fatalf("CheckSoftDirty could not tell: %v", err)
	}
	t.Logf("soft-dirty: %v", err)
}
