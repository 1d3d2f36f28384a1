package procfs

import (
	"errors"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Live tests read the real /proc: the test's own process here, a re-executed 50-thread target
// in live_threads_linux_test.go.

var live = Default()

func TestLiveSelf(t *testing.T) {
	pid := os.Getpid()
	raw, maps, err := live.Maps(pid)
	if err != nil {
		t.Fatal(err)
	}
	checkMapsAgree(t, raw, maps)

	st, err := live.Status(pid)
	if err != nil {
		t.Fatal(err)
	}
	if st.Tgid != pid || st.Pid != pid || st.PPid != os.Getppid() || st.Threads < 2 {
		t.Errorf("Status(self) = %+v", st)
	}
	stat, err := live.Stat(pid)
	if err != nil || stat.Pid != pid || stat.PPid != st.PPid || stat.StartTime == 0 {
		t.Errorf("Stat(self) = %+v, %v", stat, err)
	}
	runtime.LockOSThread() // this thread reads its own stat, so it is running
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	if ts, err := live.TaskStat(pid, tid); err != nil || ts.State != 'R' || ts.Pid != tid {
		t.Errorf("TaskStat(self, %d) = %+v, %v; want state R", tid, ts, err)
	}
	if _, argv, err := live.Cmdline(pid); err != nil || !slices.Equal(argv, os.Args) {
		t.Errorf("Cmdline(self) = %q, %v; want %q", argv, err, os.Args)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := live.Exe(pid); err != nil || got != exe {
		t.Errorf("Exe(self) = %q, %v; want %q", got, err, exe)
	}
	_, auxv, err := live.Auxv(pid)
	if v, _ := AuxvValue(auxv, AT_PAGESZ); err != nil || v != uint64(os.Getpagesize()) {
		t.Errorf("Auxv(self): AT_PAGESZ %d, %v", v, err)
	}
}

func TestLivePagemap(t *testing.T) {
	pid, ps := os.Getpid(), os.Getpagesize()
	heap := make([]byte, 4*ps)
	heap[ps] = 1
	touched := uint64(uintptr(unsafe.Pointer(&heap[ps]))) &^ uint64(ps-1)

	private := mmap(t, 2*ps, unix.MAP_PRIVATE)
	private[ps] = 1 // the first page stays untouched
	shared := mmap(t, ps, unix.MAP_SHARED)
	shared[0] = 1

	for _, tc := range []struct {
		name                  string
		addr                  uint64
		present, fileOrShared bool
	}{
		{"touched heap page", touched, true, false},
		{"untouched mmap page", addrOf(private), false, false},
		{"touched private page", addrOf(private) + uint64(ps), true, false},
		{"touched shared page", addrOf(shared), true, true},
	} {
		got, err := live.Pagemap(pid, tc.addr, tc.addr+uint64(ps), ps)
		if err != nil {
			t.Fatal(err)
		}
		e := got[0]
		if e.Present() != tc.present || e.FileOrShared() != tc.fileOrShared || e.Swapped() {
			t.Errorf("%s at %#x: %#x: present %v, file or shared %v, swapped %v", tc.name, tc.addr,
				uint64(e), e.Present(), e.FileOrShared(), e.Swapped())
		}
	}
	runtime.KeepAlive(heap)
}

func mmap(t *testing.T, size, flags int) []byte {
	t.Helper()
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, flags|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(b) })
	return b
}

func addrOf(b []byte) uint64 { return uint64(uintptr(unsafe.Pointer(&b[0]))) }

func TestLiveHost(t *testing.T) {
	h, err := live.Host()
	if err != nil {
		t.Fatal(err)
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	if h.Release != unix.ByteSliceToString(u.Release[:]) || h.Machine != unix.ByteSliceToString(u.Machine[:]) ||
		h.Hostname != unix.ByteSliceToString(u.Nodename[:]) || len(h.BootID) != 36 || h.PageSize != os.Getpagesize() {
		t.Errorf("Host() = %+v, uname %s %s %s", h, u.Nodename[:], u.Release[:], u.Machine[:])
	}
}

// TestLiveMissingPid reads a pid the kernel cannot have given out: pid_max itself.
func TestLiveMissingPid(t *testing.T) {
	b, err := readLine("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := live.Maps(pid); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Maps(pid_max): %v, want ErrNotExist", err)
	}
	if _, err := live.Status(pid); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Status(pid_max): %v, want ErrNotExist", err)
	}
}
