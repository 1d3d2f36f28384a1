package formattest

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/procsnap/procsnap/format"
)

// Crafted returns the hostile archives made on purpose rather than at
// random, so that every run covers them: regions of petabytes with intact
// chunks and footers, every zstd bomb in a compressed chunk, forged frame
// lengths, a forged index count and trailer, metadata at its size limit.
// The metadata ones are slow to parse: they are made for base 0 only, and
// more of them in the long mode.
func (fm *Mutator) Crafted(long bool) []Mutant {
	var out []Mutant
	add := func(name string, data []byte) {
		out = append(out, Mutant{Name: fmt.Sprintf("base%d/crafted-%s", fm.base, name), Data: data, Base: fm.base})
	}
	craftHugeRegions(fm.model, add)
	craftBombs(fm.model, add)
	craftLengths(fm.raw, fm.recs, fm.model, add)
	if long || fm.base == 0 {
		craftBigMeta(fm.model, long, add)
	}
	return out
}

// firstRecord is the index of the first body record of type typ for which
// ok holds (nil: any), or -1.
func firstRecord(m Model, typ format.RecordType, ok func(format.RawRecord) bool) int {
	for i, r := range m.Body {
		if r.Type == typ && (ok == nil || ok(r)) {
			return i
		}
	}
	return -1
}

// craftHugeRegions grows the first and the last region that hold data to
// petabytes (the first then overlaps the others, the last does not), with
// its chunks and footer intact.
func craftHugeRegions(model Model, add func(string, []byte)) {
	var chunks []int
	for i, r := range model.Body {
		if r.Type == format.RecordChunk {
			chunks = append(chunks, i)
		}
	}
	if len(chunks) == 0 {
		return
	}
	forged := []struct {
		name  string
		field string
		v     func(end uint64) uint64
	}{
		{"end-plus-2^55", "end", func(e uint64) uint64 { return e + 1<<55 }},
		{"end-max", "end", func(uint64) uint64 { return math.MaxUint64 - 4095 }},
		{"start-0", "start", func(uint64) uint64 { return 0 }},
	}
	for _, which := range []struct {
		name  string
		chunk int
	}{{"first", chunks[0]}, {"last", chunks[len(chunks)-1]}} {
		reg := field(model.Body[which.chunk], "region")
		isReg := func(r format.RawRecord) bool { return field(r, "index") == reg }
		for _, f := range forged {
			m := model.Clone()
			if d := firstRecord(m, format.RecordRegion, isReg); d >= 0 {
				setField(m.Body[d], f.field, f.v(field(m.Body[d], "end")))
				add(which.name+"-region-"+f.name, m.Bytes(true))
			}
		}
	}
}

// craftBombs puts every zstd bomb in the first compressed chunk.
func craftBombs(model Model, add func(string, []byte)) {
	compressed := func(r format.RawRecord) bool { return field(r, "flags")&format.ChunkFlagZstd != 0 }
	i := firstRecord(model, format.RecordChunk, compressed)
	if i < 0 {
		return
	}
	for _, name := range bombNames() {
		m := model.Clone()
		bombChunk(m, i, name)
		add("zstd-bomb-"+name, m.Bytes(true))
	}
}

// craftLengths forges the frame length of the first record after the
// header, the index's entry count, and the trailer's index offset.
func craftLengths(raw []byte, recs []format.RawRecord, model Model, add func(string, []byte)) {
	for _, v := range []uint64{1 << 63, 1 << 32, uint64(len(raw)) + 1} {
		b := slices.Clone(raw)
		set(b[recs[1].Offset:], lengthField(), v)
		add(fmt.Sprintf("frame-length-%d", v), b)
	}
	full := model.Bytes(true)
	fr := records(full)
	idx, tr := fr[len(fr)-2], fr[len(fr)-1]
	ip := slices.Clone(idx.Payload)
	setField(format.RawRecord{Type: format.RecordIndex, Payload: ip}, "count", math.MaxInt64)
	add("index-count-2^63", format.AppendTrailer(slices.Clone(full[:idx.Offset]), ip))
	for _, v := range []uint64{uint64(len(full)) + 1, 1 << 63, 0} {
		t := tr
		t.Payload = slices.Clone(tr.Payload)
		setField(t, "index_offset", v)
		add(fmt.Sprintf("trailer-index-offset-%d", v), format.AppendRecord(slices.Clone(full[:tr.Offset]), t))
	}
}

// craftBigMeta replaces the metadata with JSON at its 16 MiB limit made of
// the smallest values: millions of empty strings or keys.
func craftBigMeta(model Model, long bool, add func(string, []byte)) {
	kinds := []struct{ name, head, item, tail string }{
		{"cmdline", `{"cmdline":[`, `"",`, `""]}`},
		{"extra", `{"extra":{`, `"":"",`, `"":""}}`},
		{"environ", `{"environ":[`, `"",`, `""]}`},
		{"unknown-key", `{"x":[`, `[],`, `[]]}`},
	}
	if !long {
		kinds = kinds[:2]
	}
	for _, j := range kinds {
		m := model.Clone()
		if i := firstRecord(m, format.RecordMeta, nil); i >= 0 {
			n := (format.MaxMetaLen - len(j.head) - len(j.tail)) / len(j.item)
			m.Body[i].Payload = []byte(j.head + strings.Repeat(j.item, n) + j.tail)
			add("meta-16MiB-of-"+j.name, m.Bytes(true))
		}
	}
}

// zstdFrame builds a zstd frame by hand: a frame header with the given
// descriptor bytes, then blocks RLE blocks of blockSize bytes of 'A'.
func zstdFrame(header []byte, blocks, blockSize int) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0xFD2FB528)
	b = append(b, header...)
	for i := range blocks {
		last := 0
		if i == blocks-1 {
			last = 1
		}
		h := uint32(last) | 1<<1 | uint32(blockSize)<<3 // RLE block
		b = append(b, byte(h), byte(h>>8), byte(h>>16), 'A')
	}
	return b
}

// zstdBombs are frames that decode to far more than a chunk, or ask for
// a huge window, or lie about their size.
func zstdBombs(rawLen int) map[string][]byte {
	fcs := func(n uint64) []byte { return binary.LittleEndian.AppendUint64([]byte{0xE0}, n) } // single segment, 8-byte size
	bombs := map[string][]byte{
		// 1 GiB of 'A' in 8192 RLE blocks of 128 KiB: 32 KiB stored.
		"1GiB-declared":      zstdFrame(fcs(1<<30), 8192, 128<<10),
		"1GiB-undeclared":    zstdFrame([]byte{0x00, 0x58}, 8192, 128<<10), // window 2^21, no size
		"window-2GiB":        zstdFrame([]byte{0x00, 0xA8}, 4, 128<<10),    // window 2^31
		"window-max":         zstdFrame([]byte{0x00, 0xFF}, 4, 128<<10),
		"lying-size":         zstdFrame(fcs(uint64(rawLen)), 64, 128<<10),
		"size-2^63":          zstdFrame(fcs(1<<63), 2, 128<<10),
		"short":              zstdFrame(fcs(uint64(rawLen)), 1, 1),
		"truncated-frame":    zstdFrame(fcs(1<<30), 8192, 128<<10)[:1000],
		"skippable-then-max": append(binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 0x184D2A50), 0xFFFFFFF0), zstdFrame(fcs(1<<30), 64, 128<<10)...),
	}
	var many []byte
	for range 64 {
		many = append(many, zstdFrame(fcs(128<<10), 1, 128<<10)...)
	}
	bombs["64-frames"] = many
	return bombs
}

func bombNames() []string { return sortedKeys(zstdBombs(4096)) }

// zstdBomb replaces the stored bytes of a random chunk with a random bomb.
func (fm *Mutator) zstdBomb() (string, []byte) {
	m := fm.model.Clone()
	i := fm.pick(m, format.RecordChunk)
	if m.Body[i].Type != format.RecordChunk {
		return "zstd-no-chunk", m.Bytes(true)
	}
	names := bombNames()
	name := names[fm.rng.IntN(len(names))]
	bombChunk(m, i, name)
	return fmt.Sprintf("zstd-bomb-%s-in-record-%d", name, i), m.Bytes(fm.rng.IntN(4) != 0)
}

// bombChunk replaces the stored bytes of chunk record i with the bomb
// name, keeping the chunk header consistent (flags zstd, stored_len,
// head_sum); Bytes makes every other checksum valid.
func bombChunk(m Model, i int, name string) {
	r := m.Body[i]
	head, _ := format.FieldOf(r.Type, r.Payload, "head_sum")
	rawLen := field(r, "raw_len")
	bomb := zstdBombs(int(rawLen))[name]
	r.Payload = append(slices.Clone(r.Payload[:head.Offset+head.Size]), bomb...)
	setField(r, "flags", format.ChunkFlagZstd)
	setField(r, "stored_len", uint64(len(bomb)))
	if rawLen == 0 {
		// A chunk of zero pages only: make its first page a data page.
		states, _ := format.FieldOf(r.Type, r.Payload, "states")
		r.Payload[states.Offset] = byte(format.PageData)
		setField(r, "raw_len", uint64(m.PageSize))
	}
	format.FixChunkHeadSum(r.Payload)
	m.Body[i] = r
}
