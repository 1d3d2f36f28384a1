package capture

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/procfs"
	"golang.org/x/sys/unix"
)

// piece is one contiguous read of a region into a buffer.
type piece struct {
	start    uint64
	buf      []byte
	file     *procfs.MapFile // read from this shared object's file, not the target's memory
	useMem   bool            // read through /proc/PID/mem (the region has no r permission)
	done     int             // bytes from start that are handled: read, or failed
	fails    []format.Range  // unreadable pages among them, with errno
	usedVM   bool
	usedMem  bool
	usedFile bool
}

// failAt returns the errno of the page at addr if it failed, and whether it did.
// fails is short and in address order; from is where to start looking.
func (p *piece) failAt(addr uint64, from *int) (uint32, bool) {
	for *from < len(p.fails) && p.fails[*from].End <= addr {
		*from++
	}
	if *from < len(p.fails) && p.fails[*from].Start <= addr {
		return p.fails[*from].Errno, true
	}
	return 0, false
}

// copier reads the target's memory.
type copier struct {
	pid      int
	pageSize int
	mem      *os.File    // /proc/PID/mem; nil if it could not be opened
	memMu    sync.Mutex  // the file position of mem, for addresses above 2^63
	noVM     atomic.Bool // process_vm_readv was refused: read everything through mem
	gone     atomic.Bool // the target died
}

// readPiece copies a piece. After a short read it finds the failing page
// exactly, tries it once more through /proc/PID/mem (which can read what
// process_vm_readv cannot), and records it as unreadable with its errno if
// that fails too. It stops early, leaving done short, when the target
// died or ctx ended.
func (c *copier) readPiece(ctx context.Context, p *piece) {
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
		viaMem := p.useMem || c.noVM.Load()
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
		n -= n % c.pageSize
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
	page := p.buf[p.done : p.done+c.pageSize]
	if !viaMem && c.mem != nil {
		n, merr := c.read(page, addr, true)
		if n == c.pageSize {
			p.usedMem = true
			p.done += c.pageSize
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
		n -= n % c.pageSize
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
	p.fails = format.AppendRange(p.fails, format.Range{Start: addr, End: addr + uint64(c.pageSize), Errno: errnoOf(err)})
	p.done += c.pageSize
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

// close closes /proc/PID/mem.
func (c *copier) close() {
	if c.mem != nil {
		c.mem.Close()
	}
}
