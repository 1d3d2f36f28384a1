package format

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestReassemble: an archive taken apart with SplitRecords and put back
// with AppendRecord and AppendIndex is the archive the Writer wrote, byte
// for byte (index, trailer and SHA-256 included), with and without a
// pre-copy.
func TestReassemble(t *testing.T) {
	var v1, v2 bytes.Buffer
	rng := rand.New(rand.NewPCG(3, 4))
	regs := genLayout(rng, []int{1, 7, 33, 2}, 0x7f0000000000)
	regs[2].skip = true
	writeLayout(t, &v1, rng, regs, 4*tps)
	writeV2(t, &v2)
	for name, orig := range map[string][]byte{"v1": v1.Bytes(), "v2": v2.Bytes()} {
		recs, err := SplitRecords(orig)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b := []byte(Signature)
		var body []RawRecord
		for _, r := range recs {
			if r.Type == RecordIndex || r.Type == RecordTrailer {
				continue
			}
			if int64(len(b)) != r.Offset {
				t.Fatalf("%s: record at %d, SplitRecords says %d", name, len(b), r.Offset)
			}
			b = AppendRecord(b, r)
			if r.Type != RecordHeader {
				body = append(body, r)
			}
		}
		if b = AppendIndex(b, tps, body); !bytes.Equal(b, orig) {
			t.Errorf("%s: reassembled archive differs from the Writer's (%d and %d bytes)", name, len(b), len(orig))
		}
	}
}

// TestFieldsMatchCodec: the fields Fields lists tile each payload the
// codec encodes, and hold the values it wrote.
func TestFieldsMatchCodec(t *testing.T) {
	idx := encodeIndex([]indexEntry{{Offset: 8, Length: 40, Type: recRegion, Region: -1, Start: 3, End: 5}, {Offset: 48, Region: 2}})
	chunk := appendChunkRecord(nil, 6, chunkFlagZstd, 0x5000, []PageState{PageData, PageZero}, []uint64{11, 12}, tps, []byte("stored"))
	cases := []struct {
		typ  RecordType
		p    []byte
		want map[string]uint64
	}{
		{RecordHeader, fileHeader{Major: 2, Minor: 1, PageSize: tps, ChunkSize: 1 << 20}.encode(),
			map[string]uint64{"major": 2, "minor": 1, "page_size": tps, "chunk_size": 1 << 20}},
		{RecordRegion, RegionDesc{Index: 3, Start: 0x1000, End: 0x3000, Offset: 0x44, DevMajor: 8, DevMinor: 1, Inode: 99,
			Perms: "rw-p", Path: "/x", MapsLine: "line", Skip: "s"}.encode(),
			map[string]uint64{"index": 3, "start": 0x1000, "end": 0x3000, "offset": 0x44, "dev_major": 8, "dev_minor": 1,
				"inode": 99, "perms.len": 4, "path.len": 2, "maps_line.len": 4, "skip.len": 1}},
		{RecordChunk, chunk[recHeaderLen : len(chunk)-recSumLen],
			map[string]uint64{"region": 6, "flags": chunkFlagZstd, "start": 0x5000, "npages": 2, "raw_len": tps, "stored_len": 6}},
		{RecordFill, fill{Region: 4, State: PageUnreadable, Start: 0x2000, End: 0x4000, Errno: 14}.encode(),
			map[string]uint64{"region": 4, "state": 2, "start": 0x2000, "end": 0x4000, "errno": 14}},
		{RecordFooter, Footer{Index: 5, State: RegionPartial, Method: MethodProcMem, DataBytes: 1, ZeroBytes: 2, UnreadableBytes: 3,
			NotCapturedBytes: 4, Hash: 0xfeed, Unreadable: []Range{{0x1000, 0x2000, 5}, {0x3000, 0x4000, 14}}, Message: "why"}.encode(),
			map[string]uint64{"region": 5, "state": 2, "method": 2, "data_bytes": 1, "zero_bytes": 2, "unreadable_bytes": 3,
				"not_captured_bytes": 4, "hash": 0xfeed, "count": 2, "ranges[1].start": 0x3000, "ranges[1].end": 0x4000,
				"ranges[1].errno": 14, "message.len": 3}},
		{RecordThread, Thread{TID: 9, RegSets: []RegSet{{Type: 1, Data: []byte("gp")}, {Type: 0x202, Data: []byte("xsave")}}}.encode(),
			map[string]uint64{"tid": 9, "count": 2, "regsets[0].type": 1, "regsets[0].data.len": 2, "regsets[1].type": 0x202, "regsets[1].data.len": 5}},
		{RecordIndex, idx, map[string]uint64{"count": 2, "entries[0].offset": 8, "entries[0].length": 40, "entries[0].type": uint64(recRegion),
			"entries[0].region": 0xffffffff, "entries[0].end": 5, "entries[1].offset": 48, "entries[1].region": 2}},
		{RecordTrailer, trailer{IndexOffset: 100, IndexLength: 200}.encode(), map[string]uint64{"index_offset": 100, "index_length": 200}},
	}
	for _, c := range cases {
		fs, at := Fields(c.typ, c.p), 0
		for _, f := range fs {
			if f.Offset != at {
				t.Errorf("%v: field %s at %d, want %d (right after the one before)", c.typ, f.Name, f.Offset, at)
			}
			at = f.Offset + f.Size
		}
		if at != len(c.p) {
			t.Errorf("%v: fields end at %d of %d bytes", c.typ, at, len(c.p))
		}
		for name, want := range c.want {
			if got, ok := fieldValue(c.typ, c.p, name); !ok || got != want {
				t.Errorf("%v: %s = %d (found %v), want %d", c.typ, name, got, ok, want)
			}
		}
	}
}

func fieldValue(t RecordType, p []byte, name string) (uint64, bool) {
	f, ok := FieldOf(t, p, name)
	if !ok {
		return 0, false
	}
	b := make([]byte, 8)
	copy(b, p[f.Offset:f.Offset+f.Size])
	return binary.LittleEndian.Uint64(b), f.Size <= 8
}

// TestFixChunkHeadSum: a chunk whose header was changed parses again once
// its head_sum is fixed; a payload too short for one is left alone.
func TestFixChunkHeadSum(t *testing.T) {
	rec := appendChunkRecord(nil, 0, 0, 0x5000, []PageState{PageZero}, []uint64{ZeroPageHash(tps)}, 0, nil)
	p := rec[recHeaderLen : len(rec)-recSumLen]
	p[8] = 0x60 // start 0x5060
	if _, err := parseChunkHead(p, tps, 4*tps); err == nil {
		t.Fatal("a changed header still parses")
	}
	if !FixChunkHeadSum(p) {
		t.Fatal("FixChunkHeadSum found no head_sum")
	}
	if h, err := parseChunkHead(p, tps, 4*tps); err != nil || h.Start != 0x5060 {
		t.Errorf("after FixChunkHeadSum: %+v, %v", h, err)
	}
	if FixChunkHeadSum(p[:30]) {
		t.Error("FixChunkHeadSum on a cut-off payload")
	}
}
