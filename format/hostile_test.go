package format

import (
	"bytes"
	"context"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// craft builds an archive from raw records after the signature and a
// valid header.
func craft(recs ...[]byte) []byte {
	b := []byte(Signature)
	b = appendRecord(b, recHeader, fileHeader{Major: 1, PageSize: 4096, ChunkSize: 65536}.encode())
	for _, r := range recs {
		b = append(b, r...)
	}
	return b
}

// withTrailer appends an index record and a trailer that points at it.
func withTrailer(b, index []byte) []byte {
	off := int64(len(b))
	b = append(b, index...)
	return appendRecord(b, recTrailer, trailer{IndexOffset: off, IndexLength: int64(len(index))}.encode())
}

func rec(t recType, p []byte) []byte { return appendRecord(nil, t, p) }

func descRec(i int, start, end uint64) []byte {
	return rec(recRegion, RegionDesc{Index: i, Start: start, End: end, Perms: "rw-p"}.encode())
}

// allocDuring reports the bytes allocated while fn runs.
func allocDuring(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func TestHostileInput(t *testing.T) {
	huge := func(t recType, n uint64) []byte {
		h := make([]byte, 16, 64)
		copy(h, recordMagic)
		binary.LittleEndian.PutUint16(h[4:], uint16(t))
		binary.LittleEndian.PutUint64(h[8:], n)
		return append(h, make([]byte, 40)...)
	}
	var countIdx enc
	countIdx.u64(1 << 40)
	var footer enc
	footer.u32(0)
	footer.u32(1)
	for range 5 {
		footer.u64(0)
	}
	footer.u32(1 << 30)
	threadRec := enc{}
	threadRec.u32(1)
	threadRec.u32(1 << 30)
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"length-2^63", craft(huge(recMaps, 1<<63)), "above the limit"},
		{"length-past-end", craft(huge(recMaps, 1<<20)), "past the end"},
		{"index-count-2^40", withTrailer(craft(), rec(recIndex, countIdx.b)), "index claims"},
		{"footer-count-2^30", craft(descRec(0, 0, 4096), rec(recFooter, footer.b)), "unreadable ranges"},
		{"thread-regsets-2^30", craft(rec(recThread, threadRec.b)), "register sets"},
		{"fill-before-descriptor", craft(rec(recFill, fill{Region: 3, State: PageZero, Start: 0, End: 4096}.encode())), "before its descriptor"},
		{"fill-outside-region", craft(descRec(0, 0, 4096), rec(recFill, fill{Region: 0, State: PageZero, Start: 0, End: 1 << 40}.encode())), "outside the region"},
		{"overlapping-fills", craft(descRec(0, 0, 1<<20),
			rec(recFill, fill{Region: 0, State: PageZero, Start: 0, End: 8192}.encode()),
			rec(recFill, fill{Region: 0, State: PageZero, Start: 4096, End: 12288}.encode())), "overlaps"},
		{"duplicate-region", craft(descRec(0, 0, 4096), descRec(0, 0, 4096)), "duplicate"},
		{"huge-sparse-region", craft(descRec(0, 0, 1<<47),
			rec(recFill, fill{Region: 0, State: PageZero, Start: 0, End: 1 << 46}.encode()),
			rec(recFooter, Footer{Index: 0, State: RegionComplete, ZeroBytes: 1 << 46}.encode())), "does not match the footer"},
		{"unaligned-fill", craft(descRec(0, 0, 8192), rec(recFill, fill{Region: 0, State: PageZero, Start: 0, End: 100}.encode())), "not page-aligned"},
		{"metadata-millions-of-values", craft(rec(recMeta, []byte(`{"cmdline":[`+strings.Repeat(`"",`, 2<<20)+`""]}`))), "values, above the limit"},
		{"overlapping-regions", craft(descRec(0, 0, 8192), descRec(1, 4096, 12288)), "overlaps or precedes the region"},
		{"bad-version", func() []byte {
			b := []byte(Signature)
			return appendRecord(b, recHeader, fileHeader{Major: 9, PageSize: 4096, ChunkSize: 65536}.encode())
		}(), "version 9"},
		{"bad-chunk-size", func() []byte {
			b := []byte(Signature)
			return appendRecord(b, recHeader, fileHeader{Major: 1, PageSize: 4096, ChunkSize: 1 << 31}.encode())
		}(), "chunk size"},
		{"not-an-archive", []byte("hello world, this is text"), "signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var msg string
			alloc := allocDuring(func() {
				r, err := NewReader(bytes.NewReader(c.b), int64(len(c.b)))
				if err != nil {
					msg = err.Error()
					return
				}
				msg = r.Recovered() + "\n"
				v := r.Verify(context.Background())
				if v.OK {
					t.Errorf("hostile archive verified ok")
				}
				for _, p := range v.Problems {
					msg += p.Problem + "\n"
				}
			})
			if !strings.Contains(msg, c.want) {
				t.Errorf("message %q does not contain %q", msg, c.want)
			}
			if alloc > 64<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
		})
	}
}

func TestZstdBomb(t *testing.T) {
	zenc, _ := zstd.NewWriter(nil)
	bomb := zenc.EncodeAll(make([]byte, 256<<20), nil) // 256 MiB of zeros
	states := []PageState{PageData}
	hashes := []uint64{PageHash(make([]byte, 4096))}
	chunk := appendChunkRecord(nil, 0, chunkFlagZstd, 0, states, hashes, 4096, bomb)
	b := craft(descRec(0, 0, 4096), chunk)
	var err error
	alloc := allocDuring(func() {
		r := open(t, b)
		err = r.ReadRange(r.Region(0), 0, 4096, func(Run) error { return nil })
	})
	if err == nil || !strings.Contains(err.Error(), "decompress") {
		t.Errorf("zstd bomb: %v", err)
	}
	if alloc > 32<<20 {
		t.Errorf("zstd bomb allocated %d MiB", alloc>>20)
	}
}

func TestSwappedIndexEntriesFallBackToScan(t *testing.T) {
	full, regs := sampleArchive(t)
	offs, types := records(t, full)
	idx := offs[len(offs)-2]
	if types[len(types)-2] != recIndex {
		t.Fatal("index is not the second last record")
	}
	p := full[idx+recHeaderLen:]
	e1, e2 := p[8+3*indexEntryLen:8+4*indexEntryLen], p[8+4*indexEntryLen:8+5*indexEntryLen]
	tmp := bytes.Clone(e1)
	copy(e1, e2)
	copy(e2, tmp)
	resum(full, idx)
	r := open(t, full)
	if !strings.Contains(r.Recovered(), "out of order") {
		t.Fatalf("recovered = %q", r.Recovered())
	}
	checkLayout(t, r, regs)
}
