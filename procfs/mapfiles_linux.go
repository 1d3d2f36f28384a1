package procfs

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// MapFile is the file behind one mapping, opened through
// /proc/PID/map_files/START-END (which needs CAP_SYS_ADMIN). Reading it
// reads the object the mapping shows (for a shared mapping: the same
// pages the process sees) without touching the process's page tables, and
// SEEK_DATA/SEEK_HOLE on it tell which parts exist at all.
type MapFile struct {
	f             *os.File
	size          int64
	start, offset uint64 // the mapping's first address and its file offset
}

// OpenMapFile opens the file behind mapping m of pid. It refuses anything
// but a regular file (shmem, memfd, SysV segments and tmpfs or disk files
// are regular; devices are not).
func (fs FS) OpenMapFile(pid int, m Mapping) (*MapFile, error) {
	path := fs.pidPath(pid, fmt.Sprintf("map_files/%x-%x", m.Start, m.End))
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %v is not a regular file", path, st.Mode().Type())
	}
	return &MapFile{f: f, size: st.Size(), start: m.Start, offset: m.Offset}, nil
}

// Size is the file's size when it was opened.
func (m *MapFile) Size() int64 { return m.size }

// ReadAddr reads the bytes the mapping shows at address addr, from the
// file: at the mapping's file offset plus addr's distance from its start.
func (m *MapFile) ReadAddr(b []byte, addr uint64) (int, error) {
	return m.f.ReadAt(b, int64(m.offset+(addr-m.start)))
}

// Close closes the file.
func (m *MapFile) Close() error { return m.f.Close() }

// Extents calls fn for the parts of [off, end) of the file, in order, each
// as data (it exists: written or swapped) or a hole (never written: reads
// as zeros), using SEEK_DATA and SEEK_HOLE, which look at the file without
// allocating or reading anything. end must not pass Size. A file system
// without them reports everything as data.
func (m *MapFile) Extents(off, end int64, fn func(a, b int64, data bool)) error {
	if off < 0 || end > m.size || end < off {
		return fmt.Errorf("extents %d-%d of a file of %d bytes", off, end, m.size)
	}
	fd := int(m.f.Fd())
	for off < end {
		d, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			d = end // no data after off
		} else if err != nil {
			return fmt.Errorf("SEEK_DATA at %d: %w", off, err)
		}
		d = min(max(d, off), end)
		if d > off {
			fn(off, d, false)
		}
		if d == end {
			return nil
		}
		h, err := unix.Seek(fd, d, unix.SEEK_HOLE)
		if err != nil {
			return fmt.Errorf("SEEK_HOLE at %d: %w", d, err)
		}
		h = min(h, end)
		if h <= d {
			return fmt.Errorf("SEEK_HOLE at %d returned %d: %w", d, h, io.ErrNoProgress)
		}
		fn(d, h, true)
		off = h
	}
	return nil
}
