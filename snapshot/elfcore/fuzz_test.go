package elfcore

import (
	"bytes"
	"context"
	"debug/elf"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

// fuzzArchive turns fuzz bytes into a well-formed archive with hostile
// contents: odd register set sizes, repeated TIDs, overlapping regions,
// strange perms and paths, every page kind.
func fuzzArchive(b []byte) testArchive {
	next := func() byte {
		if len(b) == 0 {
			return 0
		}
		c := b[0]
		b = b[1:]
		return c
	}
	a := testArchive{meta: x86Meta()}
	if next()%8 == 0 {
		a.meta.Host.Machine = "aarch64"
	}
	if next()%2 == 0 {
		a.meta.XSaveLayout = amdLayout
	}
	sizes := []int{0, 8, 100, userRegsSize, fpregsSize, xstateMinSize, 1088, 2432, 2688}
	types := []uint32{ntPrstatus, ntPrfpreg, ntX86Xstate, 0x201}
	for range next() % 5 {
		th := format.Thread{TID: int(next() % 4)}
		for range next() % 4 {
			rs := format.RegSet{Type: types[next()%4], Data: make([]byte, sizes[int(next())%len(sizes)])}
			if len(rs.Data) >= xsaveFirstOff { // XCR0 and XSTATE_BV
				le.PutUint64(rs.Data[xsaveXCR0Off:], uint64(next())|uint64(next())<<8)
				le.PutUint64(rs.Data[xsaveBVOff:], uint64(next()))
			}
			th.RegSets = append(th.RegSets, rs)
		}
		a.threads = append(a.threads, th)
	}
	a.auxv = make([]byte, int(next())%40)
	paths := []string{"", "[heap]", "/lib/x.so", "/a\x00b", "anon_inode:[x]", "/dev/zero (deleted)"}
	for range next() % 8 {
		start := uint64(next()%16) * tps
		n := int(next()%6) + 1
		var pages []byte
		for range n {
			pages = append(pages, "DzZFN"[next()%5])
		}
		g := formattest.Region{Desc: format.RegionDesc{Start: start, End: start + uint64(n)*tps, Perms: string([]byte{next(), next()}),
			Path: paths[int(next())%len(paths)], Inode: uint64(next() % 2), Offset: uint64(next()) * 512}, Layout: string(pages)}
		if next()%5 == 0 {
			g.Desc.Skip, g.Layout = "skipped", ""
		}
		a.regions = append(a.regions, g)
	}
	return a
}

func FuzzExport(f *testing.F) {
	f.Add([]byte{1, 3, 1, 2, 0, 3, 2, 1, 1, 5, 20, 4, 3, 0, 1, 2, 3, 4, 'r', 'w', 2, 1, 9})
	f.Add([]byte{5, 4, 0, 3, 0, 3, 1, 4, 2, 6, 1, 3, 0, 3, 7, 3, 3, 3, 1, 2, 3, 4, 'r', '-', 3, 0, 0, 1, 2, 2, 1, 1, 'x', 'x', 1, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, _ := fuzzArchive(b).build(t)
		c, err := Plan(formattest.Open(t, raw))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := c.Write(context.Background(), &buf); err != nil {
			t.Fatalf("write: %v", err)
		}
		if int64(buf.Len()) != c.Summary().Size {
			t.Fatalf("wrote %d bytes, planned %d", buf.Len(), c.Summary().Size)
		}
		if _, err := elf.NewFile(bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatalf("debug/elf: %v", err)
		}
		parseCore(t, buf.Bytes())
	})
}
