package capture

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
)

// TestCaptureSharedMemoryUntouched captures a target with 1 GiB of shared
// anonymous memory and a 64 MiB memfd, of which only a few pages exist.
// Capture must not allocate the others (neither in the objects nor in the
// target's page tables), must record them as zero, and must store the
// written pages exactly, read from the shared object's file.
func TestCaptureSharedMemoryUntouched(t *testing.T) {
	p := proctest.StartC(t, "capture/shmem.c")
	objs := map[string][2]uint64{}
	pages := map[string][]uint64{}
	for _, line := range p.Lines {
		f := strings.Fields(line)
		switch {
		case len(f) == 4 && f[0] == "obj":
			a, _ := strconv.ParseUint(f[2], 0, 64)
			n, _ := strconv.ParseUint(f[3], 0, 64)
			objs[f[1]] = [2]uint64{a, n}
		case len(f) == 3 && f[0] == "page":
			i, _ := strconv.ParseUint(f[2], 0, 64)
			pages[f[1]] = append(pages[f[1]], i)
		}
	}
	before := map[string]footprint{}
	for name, o := range objs {
		before[name] = shmemFootprint(t, p.PID, o[0], o[0]+o[1])
		t.Logf("%s before the capture: %+v", name, before[name])
	}
	r, _, _ := captureFile(t, p.PID, Options{})
	for name, o := range objs {
		if after := shmemFootprint(t, p.PID, o[0], o[0]+o[1]); after != before[name] {
			t.Errorf("%s: %+v before the capture, %+v after: capture allocated shared memory", name, before[name], after)
		}
	}
	proctest.CheckNotStopped(t, p.PID)
	for _, name := range []string{"shm", "memfd"} {
		o := objs[name]
		g := r.Find(o[0])
		if g == nil || g.Desc.Start != o[0] || g.Desc.End != o[0]+o[1] || g.Footer == nil {
			t.Fatalf("%s region: %+v", name, g)
		}
		data := uint64(len(pages[name])) * 4096
		if f := g.Footer; f.DataBytes != data || f.ZeroBytes != o[1]-data || f.Method != format.MethodMapFile {
			t.Errorf("%s footer: data %d, zero %d, method %v; want data %d, zero %d, method map_files",
				name, f.DataBytes, f.ZeroBytes, f.Method, data, o[1]-data)
		}
		err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(run format.Run) error {
			for a := run.Start; run.State == format.PageData && a < run.End; a += 4096 {
				i := (a - o[0]) / 4096
				want := bytes.Repeat([]byte{byte(i%251) + 1}, 4096)
				if !slices.Contains(pages[name], i) || !bytes.Equal(run.Data[a-run.Start:][:4096], want) {
					return fmt.Errorf("page %d is stored as data but is not one the target wrote", i)
				}
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// footprint is what a shared object costs: the kB of it mapped in the
// target's page tables and the kB the object has allocated.
type footprint struct{ mappedKiB, allocatedKiB int64 }

// shmemFootprint measures the shared mapping [start, end) of pid: its Rss
// in smaps, which walks the page tables, and the blocks of the object
// behind it (through map_files). RssShmem of /proc/PID/status is not used:
// kernels before 6.2 count it in per-thread caches that reach it late (on
// 6.1 it read 0 kB with 16 kB of shared memory mapped, then 8 kB after a
// capture that had mapped nothing).
func shmemFootprint(t *testing.T, pid int, start, end uint64) footprint {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(fmt.Sprintf("/proc/%d/map_files/%x-%x", pid, start, end), &st); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		t.Fatal(err)
	}
	_, block, found := strings.Cut(string(b), fmt.Sprintf("%08x-%08x ", start, end))
	_, rss, _ := strings.Cut(block, "\nRss:")
	rss, _, _ = strings.Cut(rss, "\n")
	kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rss), " kB"), 10, 64)
	if !found || err != nil {
		t.Fatalf("no Rss for %#x-%#x in /proc/%d/smaps", start, end, pid)
	}
	return footprint{mappedKiB: kib, allocatedKiB: st.Blocks / 2}
}
