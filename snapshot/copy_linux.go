package snapshot

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/procfs"
	"golang.org/x/sys/unix"
)

// maxPiece is the most one read request copies: large enough that the
// per-call cost vanishes, small enough to spread over the workers. The copy
// buffer is never smaller (MinBufferSize).
const maxPiece = MinBufferSize

// piece is one contiguous read of a region into the copy buffer.
type piece struct {
	plan     int
	start    uint64
	buf      []byte
	file     *procfs.MapFile // read from this shared object's file, not the target's memory
	done     int             // bytes from start that are handled: read, or failed
	fails    []format.Range  // unreadable pages among them, with errno
	usedVM   bool
	usedMem  bool
	usedFile bool
}

// copier reads the frozen target's memory.
type copier struct {
	pid   int
	ps    int
	mem   *os.File    // /proc/PID/mem; nil if it could not be opened
	memMu sync.Mutex  // the file position of mem, for addresses above 2^63
	noVM  atomic.Bool // process_vm_readv was refused: read everything through mem
	gone  atomic.Bool // the target died
}

// copyPieces reads pieces with one worker per CPU.
func (c *copier) copyPieces(ctx context.Context, ps []*piece, useMem func(int) bool, progress func(int64)) {
	var next atomic.Int64
	var copied atomic.Int64
	var wg sync.WaitGroup
	workers := max(2, runtime.GOMAXPROCS(0))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ps) {
					return
				}
				c.readPiece(ctx, ps[i], useMem(ps[i].plan))
				copied.Add(int64(ps[i].done))
			}
		}()
	}
	wg.Wait()
	progress(copied.Load())
}

// readPiece copies a piece. After a short read it finds the failing page
// exactly, tries it once more through /proc/PID/mem (which can read what
// process_vm_readv cannot), and records it as unreadable with its errno if
// that fails too. It stops early, leaving done short, when the target
// died or ctx ended.
func (c *copier) readPiece(ctx context.Context, p *piece, useMem bool) {
	if p.file != nil {
		c.readFilePiece(ctx, p)
		return
	}
	for p.done < len(p.buf) {
		if ctx.Err() != nil || c.gone.Load() {
			return
		}
		addr := p.start + uint64(p.done)
		dst := p.buf[p.done:]
		viaMem := useMem || c.noVM.Load()
		n, err := c.read(dst, addr, viaMem)
		if viaMem {
			p.usedMem = true
		} else {
			p.usedVM = true
		}
		if !viaMem && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSYS)) && c.mem != nil {
			c.noVM.Store(true) // seccomp or policy forbids it: fall back for good
			continue
		}
		if errors.Is(err, unix.ESRCH) {
			c.gone.Store(true)
			return
		}
		n -= n % c.ps
		p.done += n
		if p.done == len(p.buf) || (n > 0 && err == nil) {
			continue
		}
		c.failedPage(p, viaMem, err)
	}
}

// failedPage handles the page at p.done, where a read just failed.
func (c *copier) failedPage(p *piece, viaMem bool, err error) {
	addr := p.start + uint64(p.done)
	page := p.buf[p.done : p.done+c.ps]
	if !viaMem && c.mem != nil {
		n, merr := c.read(page, addr, true)
		if n == c.ps {
			p.usedMem = true
			p.done += c.ps
			return
		}
		err = merr
	}
	c.addFail(p, err)
}

// readFilePiece copies a piece from the shared object's file. A page that
// cannot be read is recorded as unreadable.
func (c *copier) readFilePiece(ctx context.Context, p *piece) {
	p.usedFile = true
	for p.done < len(p.buf) && ctx.Err() == nil {
		n, err := p.file.ReadAddr(p.buf[p.done:], p.start+uint64(p.done))
		n -= n % c.ps
		p.done += n
		if p.done < len(p.buf) && n == 0 {
			c.addFail(p, err)
		}
	}
}

// addFail records the page at p.done as unreadable, merged with the range
// before it when that ended here with the same errno.
func (c *copier) addFail(p *piece, err error) {
	addr := p.start + uint64(p.done)
	errno := errnoOf(err)
	if k := len(p.fails); k > 0 && p.fails[k-1].End == addr && p.fails[k-1].Errno == errno {
		p.fails[k-1].End += uint64(c.ps)
	} else {
		p.fails = append(p.fails, format.Range{Start: addr, End: addr + uint64(c.ps), Errno: errno})
	}
	p.done += c.ps
}

// errnoOf is the one place that turns a failed read into the errno that
// the archive records for an unreadable range.
func errnoOf(err error) uint32 {
	var en unix.Errno
	if errors.As(err, &en) {
		return uint32(en)
	}
	return uint32(unix.EIO) // a short read without an error: the kernel's EOF means EIO here
}

// read copies from the target at addr into dst, through process_vm_readv
// or a pread of /proc/PID/mem.
func (c *copier) read(dst []byte, addr uint64, viaMem bool) (int, error) {
	if viaMem {
		if c.mem == nil {
			return 0, unix.EACCES
		}
		n, err := c.readMem(dst, addr)
		if n < 0 {
			n = 0
		}
		return n, err
	}
	local := []unix.Iovec{{Base: &dst[0]}}
	local[0].SetLen(len(dst))
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(dst)}}
	n, err := unix.ProcessVMReadv(c.pid, local, remote, 0)
	if n < 0 {
		n = 0
	}
	return n, err
}

// readMem preads /proc/PID/mem at addr. pread refuses offsets of 2^63 and
// above ([vsyscall] lives at 0xffffffffff600000), but /proc/PID/mem
// accepts them as unsigned file positions: seek there and read, with the
// shared file position held by a lock.
func (c *copier) readMem(dst []byte, addr uint64) (int, error) {
	fd := int(c.mem.Fd())
	if addr < 1<<63 {
		return unix.Pread(fd, dst, int64(addr))
	}
	c.memMu.Lock()
	defer c.memMu.Unlock()
	if _, err := unix.Seek(fd, int64(addr), 0); err != nil {
		return 0, err
	}
	return unix.Read(fd, dst)
}

// allocBuffer maps size bytes of anonymous memory with every page faulted
// in now, before the freeze, so that the copy does not pay for page faults
// in procsnap's own buffer while the target waits.
func allocBuffer(size int64) ([]byte, error) {
	if size == 0 {
		return nil, nil
	}
	b, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// growMapping grows a buffer from allocBuffer to size bytes, faulting in
// the added pages now (MADV_POPULATE_WRITE, Linux 5.14+, else by touching
// each page). The old slice is invalid afterwards.
func growMapping(b []byte, size int64) ([]byte, error) {
	old := len(b)
	nb, err := unix.Mremap(b, int(size), unix.MREMAP_MAYMOVE)
	if err != nil {
		return nil, err
	}
	tail := nb[old:]
	if unix.Madvise(tail, unix.MADV_POPULATE_WRITE) != nil {
		ps := os.Getpagesize()
		for i := 0; i < len(tail); i += ps {
			tail[i] = 0
		}
	}
	return nb, nil
}
