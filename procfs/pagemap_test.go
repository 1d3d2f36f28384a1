package procfs

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPageEntry(t *testing.T) {
	for _, tc := range []struct {
		name                                            string
		e                                               PageEntry
		present, swapped, fileOrShared, excl, softDirty bool
		pfn                                             uint64
	}{
		{"not present", 0, false, false, false, false, false, 0},
		{"present anonymous", 1<<63 | 1<<56 | 0x1234, true, false, false, true, false, 0x1234},
		{"present file", 1<<63 | 1<<61 | 1<<55 | 0x42, true, false, true, false, true, 0x42},
		{"present without CAP_SYS_ADMIN", 1 << 63, true, false, false, false, false, 0},
		{"swapped", 1<<62 | 0x5a5a, false, true, false, false, false, 0},
		{"soft-dirty only", 1 << 55, false, false, false, false, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.e
			if e.Present() != tc.present || e.Swapped() != tc.swapped || e.FileOrShared() != tc.fileOrShared ||
				e.Exclusive() != tc.excl || e.SoftDirty() != tc.softDirty || e.PFN() != tc.pfn {
				t.Errorf("%#x: present %v swapped %v file %v exclusive %v soft-dirty %v pfn %#x",
					uint64(e), e.Present(), e.Swapped(), e.FileOrShared(), e.Exclusive(), e.SoftDirty(), e.PFN())
			}
		})
	}
}

// pagemapFS writes a pagemap of n pages, entry i being PageEntry(i)<<8 | 1<<63 for every
// third page, for process 7 of a temporary FS.
func pagemapFS(t *testing.T, n int) (FS, []PageEntry) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "7"), 0o755); err != nil {
		t.Fatal(err)
	}
	entries := make([]PageEntry, n)
	raw := make([]byte, 0, n*pageEntrySize)
	for i := range entries {
		entries[i] = PageEntry(i) << 8
		if i%3 == 0 {
			entries[i] |= 1 << 63
		}
		raw = binary.NativeEndian.AppendUint64(raw, uint64(entries[i]))
	}
	if err := os.WriteFile(filepath.Join(dir, "7", "pagemap"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return NewFS(dir), entries
}

func TestPagemap(t *testing.T) {
	const pageSize = 4096
	n := pagemapBatch + 1000 // two preads
	fs, want := pagemapFS(t, n)

	got, err := fs.Pagemap(7, 0, uint64(n)*pageSize, pageSize)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Pagemap of all %d pages: %d entries, %v", n, len(got), err)
	}

	r, err := fs.OpenPagemap(7, pageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tc := range []struct{ first, count int }{{5, 1}, {100, pagemapBatch + 500}, {n - 3, 3}, {0, 0}} {
		dst := make([]PageEntry, tc.count)
		err := r.ReadEntries(dst, uint64(tc.first)*pageSize)
		if err != nil || !slices.Equal(dst, want[tc.first:tc.first+tc.count]) {
			t.Errorf("ReadEntries of %d pages from page %d: %v", tc.count, tc.first, err)
		}
	}
	if err := r.ReadEntries(make([]PageEntry, 4), uint64(n-2)*pageSize); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ReadEntries past the end: %v, want io.ErrUnexpectedEOF", err)
	}
	if err := r.ReadEntries(make([]PageEntry, 1), 100); err == nil {
		t.Errorf("ReadEntries from an unaligned address succeeded")
	}
}

func TestPagemapErrors(t *testing.T) {
	fs, _ := pagemapFS(t, 16)
	for _, tc := range []struct {
		name       string
		start, end uint64
		pageSize   int
	}{
		{"page size not a power of two", 0, 4096, 4000},
		{"page size zero", 0, 4096, 0},
		{"end before start", 8192, 4096, 4096},
		{"unaligned end", 0, 4097, 4096},
		{"unaligned start", 1, 4096, 4096},
		{"too many pages", 0, (maxPagemapEntries + 1) * 4096, 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := fs.Pagemap(7, tc.start, tc.end, tc.pageSize); err == nil {
				t.Errorf("Pagemap(%#x, %#x, %d) = %d entries, want an error", tc.start, tc.end, tc.pageSize, len(got))
			}
		})
	}
}
