package capture

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// TestCaptureSharedMemoryUntouched captures a target with 1 GiB of shared
// anonymous memory and a 64 MiB memfd, of which only a few pages exist.
// Capture must not allocate the others (RssShmem and the target's shmem
// footprint unchanged), must record them as zero, and must store the
// written pages exactly, read from the shared object's file.
func TestCaptureSharedMemoryUntouched(t *testing.T) {
	p := startProc(t, targetBin(t, "shmem"))
	objs := map[string][2]uint64{}
	pages := map[string][]uint64{}
	for _, line := range p.lines {
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
	before := shmemKiB(t, p.pid)
	r, _, _ := captureFile(t, p.pid, Options{})
	if after := shmemKiB(t, p.pid); after != before {
		t.Errorf("the target's RssShmem went from %d kB to %d kB: capture allocated shared memory", before, after)
	}
	checkNotStopped(t, p.pid)
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

// shmemKiB is RssShmem of pid, in kB.
func shmemKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssShmem:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("RssShmem line %q", line)
			}
			return n
		}
	}
	t.Fatalf("no RssShmem in /proc/%d/status", pid)
	return 0
}
