package procfs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// PageEntry is one 64-bit entry of /proc/PID/pagemap: the state of one virtual page
// (Documentation/admin-guide/mm/pagemap.rst).
type PageEntry uint64

// Present reports that the page is in RAM (bit 63).
func (e PageEntry) Present() bool { return e&(1<<63) != 0 }

// Swapped reports that the page is in swap (bit 62).
func (e PageEntry) Swapped() bool { return e&(1<<62) != 0 }

// FileOrShared reports that the page is a file page or shared anonymous memory (bit 61).
func (e PageEntry) FileOrShared() bool { return e&(1<<61) != 0 }

// Exclusive reports that the page is mapped by this process only (bit 56).
func (e PageEntry) Exclusive() bool { return e&(1<<56) != 0 }

// SoftDirty reports that the page was written since soft-dirty bits were last cleared (bit 55).
func (e PageEntry) SoftDirty() bool { return e&(1<<55) != 0 }

// PFN is the page frame number of a present page (bits 0-54), zero without CAP_SYS_ADMIN.
func (e PageEntry) PFN() uint64 {
	if !e.Present() {
		return 0
	}
	return uint64(e) & (1<<55 - 1)
}

const (
	pageEntrySize = 8
	// pagemapBatch is the number of entries read by one pread: 512 KiB, 256 MiB of memory
	// with 4 KiB pages.
	pagemapBatch = 64 << 10
	// maxPagemapEntries bounds the slice Pagemap allocates (128 MiB of entries, 64 GiB of
	// memory with 4 KiB pages); larger ranges go through PagemapReader in pieces.
	maxPagemapEntries = 16 << 20
)

// pageRegion is struct page_region of linux/fs.h, a PAGEMAP_SCAN result.
type pageRegion struct{ start, end, categories uint64 }

// PagemapReader reads /proc/PID/pagemap of one process, in batches, into caller buffers.
// It is not safe for concurrent use.
type PagemapReader struct {
	f        *os.File
	path     string
	pageSize uint64
	buf      []byte       // raw entries of one batch, grown up to pagemapBatch entries
	scanVec  []pageRegion // PAGEMAP_SCAN results, allocated once
}

// OpenPagemap opens /proc/PID/pagemap for a process whose pages are pageSize bytes.
func (fs FS) OpenPagemap(pid, pageSize int) (*PagemapReader, error) {
	path := fs.pidPath(pid, "pagemap")
	if pageSize <= 0 || pageSize&(pageSize-1) != 0 {
		return nil, fmt.Errorf("pagemap %s: page size %d is not a power of two", path, pageSize)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &PagemapReader{f: f, path: path, pageSize: uint64(pageSize)}, nil
}

// Close closes the pagemap file.
func (r *PagemapReader) Close() error {
	return r.f.Close()
}

// ReadEntries fills dst with the entries of len(dst) pages from address start, which must be
// page aligned. Addresses beyond the process's address space (such as [vsyscall]) are an
// error wrapping io.ErrUnexpectedEOF.
func (r *PagemapReader) ReadEntries(dst []PageEntry, start uint64) error {
	if start%r.pageSize != 0 {
		return fmt.Errorf("read %s: address %#x is not page aligned", r.path, start)
	}
	if want := min(len(dst), pagemapBatch) * pageEntrySize; len(r.buf) < want {
		r.buf = make([]byte, want)
	}
	for len(dst) > 0 {
		n := min(len(dst), len(r.buf)/pageEntrySize)
		if err := r.readBatch(dst[:n], start); err != nil {
			return err
		}
		dst = dst[n:]
		start += uint64(n) * r.pageSize
	}
	return nil
}

// readBatch fills dst, at most one buffer of entries, with one pread.
func (r *PagemapReader) readBatch(dst []PageEntry, start uint64) error {
	b := r.buf[:len(dst)*pageEntrySize]
	off := start / r.pageSize * pageEntrySize // < 2^63 for any page size above 1
	if _, err := r.f.ReadAt(b, int64(off)); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("read %s for %d pages from %#x: %w", r.path, len(dst), start, err)
	}
	for i := range dst {
		dst[i] = PageEntry(binary.NativeEndian.Uint64(b[i*pageEntrySize:]))
	}
	return nil
}

// Pagemap returns the entries of the pages in [start, end), both page aligned. It opens and
// closes the file per call; to scan many ranges, use OpenPagemap and reuse one buffer.
func (fs FS) Pagemap(pid int, start, end uint64, pageSize int) ([]PageEntry, error) {
	r, err := fs.OpenPagemap(pid, pageSize)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if end < start || end%r.pageSize != 0 {
		return nil, fmt.Errorf("read %s: bad range [%#x, %#x)", r.path, start, end)
	}
	n := (end - start) / r.pageSize
	if n > maxPagemapEntries {
		return nil, fmt.Errorf("read %s: range [%#x, %#x) has %d pages, more than %d at once",
			r.path, start, end, n, maxPagemapEntries)
	}
	entries := make([]PageEntry, n)
	if err := r.ReadEntries(entries, start); err != nil {
		return nil, err
	}
	return entries, nil
}
