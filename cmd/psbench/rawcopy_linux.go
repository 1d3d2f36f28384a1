package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// rawPiece is the most one process_vm_readv call of the raw copy takes.
const rawPiece = 8 << 20

// span is an address range [start, end).
type span struct{ start, end uint64 }

// readableRegions lists the regions of /proc/PID/maps with read
// permission, less those whose reads always fail ([vvar] and friends).
// It parses maps itself, not with procfs: the raw copy is the limit
// procsnap is judged by and shares none of its code (doc.go).
func readableRegions(pid int) ([]span, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	var out []span
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 || !strings.HasPrefix(f[1], "r") {
			continue
		}
		if len(f) >= 6 && (f[5] == "[vvar]" || f[5] == "[vvar_vclock]" || f[5] == "[vsyscall]") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("/proc/%d/maps: bad line %q", pid, sc.Text())
		}
		out = append(out, span{start, end})
	}
	return out, sc.Err()
}

func totalSize(spans []span) int64 {
	var n int64
	for _, s := range spans {
		n += int64(s.end - s.start)
	}
	return n
}

// rawCopy copies the regions of pid with process_vm_readv on 2 goroutines,
// 8 MiB at a time, into a buffer pre-faulted before the clock starts. It
// returns the time of the copy, the bytes copied and the bytes skipped
// because they could not be read.
//
// Pre-faulted means: written once by the same copy before the timed one.
// MAP_POPULATE alone is not enough in a paravirtualised VM such as this
// machine: the kernel's first write to each page of the buffer still
// costs an exit to the hypervisor, even after the program wrote the page
// itself (measured: 1 GiB in 1.27 s into a MAP_POPULATE buffer, 1.23 s
// after writing every page from user space first, 0.14 s into the same
// buffer the second time). The timed copy is then the memory bandwidth a
// freeze could reach, as procsnap's final pass does with its small reused
// buffers, and not the cost of a fresh buffer.
func rawCopy(pid int, regions []span, pageSize int) (time.Duration, int64, int64, error) {
	total := totalSize(regions)
	buf, err := unix.Mmap(-1, 0, int(total), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("map a %d MiB copy buffer: %w", total>>20, err)
	}
	defer unix.Munmap(buf) //nolint:errcheck // nothing to do about it
	type piece struct {
		addr uint64
		dst  []byte
	}
	var pieces []piece
	off := 0
	for _, r := range regions {
		for a := r.start; a < r.end; a += rawPiece {
			n := int(min(r.end-a, rawPiece))
			pieces = append(pieces, piece{a, buf[off : off+n]})
			off += n
		}
	}
	pass := func() (int64, int64) {
		var next atomic.Int64
		var copied, failed atomic.Int64
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(pieces); i = int(next.Add(1) - 1) {
					ok, bad := readAt(pid, pieces[i].addr, pieces[i].dst, pageSize)
					copied.Add(ok)
					failed.Add(bad)
				}
			})
		}
		wg.Wait()
		return copied.Load(), failed.Load()
	}
	pass() // the untimed first write of every page of the buffer
	start := time.Now()
	copied, failed := pass()
	return time.Since(start), copied, failed, nil
}

// readAt fills dst from addr in pid; past a failure it skips one page and
// goes on. It returns the bytes read and the bytes skipped.
func readAt(pid int, addr uint64, dst []byte, pageSize int) (int64, int64) {
	var ok, bad int64
	for done := 0; done < len(dst); {
		local := []unix.Iovec{{Base: &dst[done]}}
		local[0].SetLen(len(dst) - done)
		remote := []unix.RemoteIovec{{Base: uintptr(addr) + uintptr(done), Len: len(dst) - done}}
		n, err := unix.ProcessVMReadv(pid, local, remote, 0)
		if n > 0 {
			done += n
			ok += int64(n)
			continue
		}
		if errors.Is(err, unix.ESRCH) {
			return ok, bad + int64(len(dst)-done)
		}
		skip := min(pageSize-(int(addr)+done)%pageSize, len(dst)-done)
		done += skip
		bad += int64(skip)
	}
	return ok, bad
}

// readPage reads one page of pid's memory.
func readPage(pid int, addr uint64, size int) ([]byte, error) {
	b := make([]byte, size)
	local := []unix.Iovec{{Base: &b[0]}}
	local[0].SetLen(size)
	n, err := unix.ProcessVMReadv(pid, local, []unix.RemoteIovec{{Base: uintptr(addr), Len: size}}, 0)
	if err != nil || n != size {
		return nil, fmt.Errorf("read %d bytes at %#x of PID %d: %d read: %v", size, addr, pid, n, err)
	}
	return b, nil
}
