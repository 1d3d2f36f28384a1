package main

// Random mutations of a base archive: truncations, byte flips, swapped,
// duplicated and dropped records, forged lengths and fields, zstd bombs,
// hostile JSON, forged headers, indexes and trailers.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/cespare/xxhash/v2"
)

// faultMutant is one hostile archive.
type faultMutant struct {
	name string
	data []byte
	base int
	seq  int // order in the run, from 1
}

// faultNasty are the values forged into lengths, counts and addresses.
func faultNasty(size int) []uint64 {
	return []uint64{0, 1, 7, 4095, 4097, math.MaxInt32, 1 << 31, math.MaxUint32, 1 << 32, 1 << 40,
		math.MaxInt64, 1 << 63, math.MaxUint64, math.MaxUint64 - 4095, uint64(size), uint64(size) + 1}
}

// faultMutator makes mutants of one base archive.
type faultMutator struct {
	rng   *rand.Rand
	base  int
	raw   []byte
	model faultModel
}

// recordOffsets lists the file offsets of the records of raw (the index
// and trailer included).
func recordOffsets(raw []byte) []int {
	var offs []int
	for off := fSigLen; off+fRecOverhead <= len(raw); {
		offs = append(offs, off)
		off += fRecOverhead + int(binary.LittleEndian.Uint64(raw[off+8:]))
	}
	return offs
}

// mutate returns the i-th mutant: the kind rotates so that every kind is
// well represented, the details come from the random source.
func (fm *faultMutator) mutate(i int) faultMutant {
	kinds := []func() (string, []byte){
		fm.truncate, fm.truncateAtRecord, fm.flipRaw, fm.flipDeep, fm.swapRecords,
		fm.duplicateRecord, fm.dropRecord, fm.forgeFrameLength, fm.forgeField, fm.forgeField,
		fm.zstdBomb, fm.hostileJSON, fm.forgeHeader, fm.forgeIndex, fm.flipDeep,
	}
	name, data := kinds[i%len(kinds)]()
	return faultMutant{name: fmt.Sprintf("base%d/%04d-%s", fm.base, i, name), data: data, base: fm.base}
}

func (fm *faultMutator) truncate() (string, []byte) {
	n := fm.rng.IntN(len(fm.raw))
	return fmt.Sprintf("truncate-at-%d", n), fm.raw[:n:n]
}

func (fm *faultMutator) truncateAtRecord() (string, []byte) {
	offs := recordOffsets(fm.raw)
	n := offs[fm.rng.IntN(len(offs))] + fm.rng.IntN(41) - 20
	n = max(0, min(n, len(fm.raw)-1))
	return fmt.Sprintf("truncate-near-record-at-%d", n), fm.raw[:n:n]
}

func (fm *faultMutator) flipRaw() (string, []byte) {
	b := slices.Clone(fm.raw)
	k := 1 + fm.rng.IntN(8)
	for range k {
		b[fm.rng.IntN(len(b))] ^= byte(1 + fm.rng.IntN(255))
	}
	return fmt.Sprintf("flip-%d-bytes", k), b
}

// pick returns the index of a random body record, preferring type typ
// when typ is not 0 and such a record exists.
func (fm *faultMutator) pick(m faultModel, typ uint16) int {
	var of []int
	for i, r := range m.body {
		if typ == 0 || r.typ == typ {
			of = append(of, i)
		}
	}
	if len(of) == 0 {
		return fm.rng.IntN(len(m.body))
	}
	return of[fm.rng.IntN(len(of))]
}

// flipDeep changes payload bytes of one record and keeps every checksum
// (record, chunk head, index, trailer) valid, so that the damage reaches
// the decoders and the verbs instead of stopping at a checksum.
func (fm *faultMutator) flipDeep() (string, []byte) {
	m := fm.model.clone()
	i := fm.pick(m, []uint16{0, fRecChunk, fRecRegion, fRecFooter, fRecFill, fRecThread}[fm.rng.IntN(6)])
	p := m.body[i].payload
	if len(p) == 0 {
		return "flip-deep-empty", m.bytes(true)
	}
	k := 1 + fm.rng.IntN(4)
	for range k {
		p[fm.rng.IntN(len(p))] ^= byte(1 + fm.rng.IntN(255))
	}
	if m.body[i].typ == fRecChunk && fm.rng.IntN(2) == 0 {
		fixChunkHead(p)
	}
	return fmt.Sprintf("flip-deep-record-%d-type-%d", i, m.body[i].typ), m.bytes(fm.rng.IntN(4) != 0)
}

func (fm *faultMutator) swapRecords() (string, []byte) {
	m := fm.model.clone()
	i := fm.rng.IntN(len(m.body))
	j := i + 1
	if fm.rng.IntN(2) == 0 || j >= len(m.body) {
		j = fm.rng.IntN(len(m.body))
	}
	m.body[i], m.body[j] = m.body[j], m.body[i]
	index := fm.rng.IntN(2) == 0
	if !index {
		// The original index now points at the wrong records.
		return fmt.Sprintf("swap-%d-%d-stale-index", i, j), fm.withStaleTail(m)
	}
	return fmt.Sprintf("swap-%d-%d", i, j), m.bytes(true)
}

// withStaleTail serialises m with the original archive's index and
// trailer (now wrong) appended.
func (fm *faultMutator) withStaleTail(m faultModel) []byte {
	b := m.bytes(false)
	offs := recordOffsets(fm.raw)
	for _, off := range offs {
		if binary.LittleEndian.Uint16(fm.raw[off+4:]) == fRecIndex {
			return append(b, fm.raw[off:]...)
		}
	}
	return b
}

func (fm *faultMutator) duplicateRecord() (string, []byte) {
	m := fm.model.clone()
	i := fm.pick(m, []uint16{0, fRecRegion, fRecChunk, fRecFooter, fRecMeta, fRecThread, fRecFill, fRecEnd}[fm.rng.IntN(8)])
	at := i + 1
	if fm.rng.IntN(3) == 0 {
		at = fm.rng.IntN(len(m.body) + 1)
	}
	dup := m.body[i]
	dup.payload = slices.Clone(dup.payload)
	m.body = slices.Insert(m.body, at, dup)
	return fmt.Sprintf("duplicate-%d-type-%d-at-%d", i, dup.typ, at), m.bytes(fm.rng.IntN(3) != 0)
}

func (fm *faultMutator) dropRecord() (string, []byte) {
	m := fm.model.clone()
	i := fm.pick(m, []uint16{0, fRecRegion, fRecFooter, fRecMeta, fRecEnd}[fm.rng.IntN(5)])
	typ := m.body[i].typ
	m.body = slices.Delete(m.body, i, i+1)
	return fmt.Sprintf("drop-%d-type-%d", i, typ), m.bytes(fm.rng.IntN(3) != 0)
}

// forgeFrameLength writes a nasty payload length into a record frame,
// with or without a checksum that matches it.
func (fm *faultMutator) forgeFrameLength() (string, []byte) {
	b := slices.Clone(fm.raw)
	offs := recordOffsets(b)
	off := offs[fm.rng.IntN(len(offs))]
	vals := []uint64{1 << 63, 1 << 32, uint64(len(b)) + 1, math.MaxUint64, uint64(len(b) - off), 1 << 30}
	v := vals[fm.rng.IntN(len(vals))]
	binary.LittleEndian.PutUint64(b[off+8:], v)
	resum := fm.rng.IntN(2) == 0
	if resum && v < uint64(len(b)-off-fRecOverhead) {
		binary.LittleEndian.PutUint64(b[off+fRecHeadLen+int(v):], xxhash.Sum64(b[off:off+fRecHeadLen+int(v)]))
	}
	return fmt.Sprintf("frame-length-%d-at-%d-resum-%v", v, off, resum), b
}

// faultFields are payload offsets of lengths, counts and addresses, by
// record type (docs/FORMAT.md), with their widths.
var faultFields = map[uint16][][2]int{
	fRecRegion: {{0, 4}, {4, 8}, {12, 8}, {20, 8}, {44, 4}, {48, 4}},
	fRecChunk:  {{0, 4}, {4, 2}, {8, 8}, {16, 4}},
	fRecFill:   {{0, 4}, {4, 1}, {8, 8}, {16, 8}, {24, 4}},
	fRecFooter: {{0, 4}, {4, 1}, {5, 1}, {8, 8}, {16, 8}, {24, 8}, {32, 8}, {40, 8}, {48, 4}, {52, 8}, {60, 8}},
	fRecThread: {{0, 4}, {4, 4}, {8, 4}, {12, 4}},
}

// forgeField writes a nasty value into a length, count or address field of
// one record, with valid checksums and a rebuilt index.
func (fm *faultMutator) forgeField() (string, []byte) {
	m := fm.model.clone()
	types := []uint16{fRecRegion, fRecChunk, fRecFill, fRecFooter, fRecThread}
	i := fm.pick(m, types[fm.rng.IntN(len(types))])
	r := &m.body[i]
	fields := faultFields[r.typ]
	var f [2]int
	if len(fields) == 0 || fm.rng.IntN(5) == 0 {
		f = [2]int{fm.rng.IntN(max(1, len(r.payload)-3)), 4}
	} else {
		f = fields[fm.rng.IntN(len(fields))]
	}
	if r.typ == fRecChunk && fm.rng.IntN(2) == 0 {
		// raw_len or stored_len, after the states and hashes
		f = [2]int{20 + 9*int(faultU32(r.payload, 16)) + 4*fm.rng.IntN(2), 4}
	}
	nasty := faultNasty(len(fm.raw))
	v := nasty[fm.rng.IntN(len(nasty))]
	if f[0]+f[1] > len(r.payload) {
		return "forge-field-short", m.bytes(true)
	}
	switch f[1] {
	case 1:
		r.payload[f[0]] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(r.payload[f[0]:], uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(r.payload[f[0]:], uint32(v))
	case 8:
		binary.LittleEndian.PutUint64(r.payload[f[0]:], v)
	}
	if r.typ == fRecChunk {
		fixChunkHead(r.payload)
	}
	return fmt.Sprintf("forge-type-%d-record-%d-field-%d-to-%d", r.typ, i, f[0], v), m.bytes(true)
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

// zstdBomb replaces the stored bytes of a random chunk with a random bomb.
func (fm *faultMutator) zstdBomb() (string, []byte) {
	m := fm.model.clone()
	i := fm.pick(m, fRecChunk)
	if m.body[i].typ != fRecChunk {
		return "zstd-no-chunk", m.bytes(true)
	}
	names := faultBombNames()
	name := names[fm.rng.IntN(len(names))]
	bombChunk(m, i, name)
	return fmt.Sprintf("zstd-bomb-%s-in-record-%d", name, i), m.bytes(fm.rng.IntN(4) != 0)
}

func faultBombNames() []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range zstdBombs(4096) {
			if !yield(k) {
				return
			}
		}
	})
}

// bombChunk replaces the stored bytes of chunk record i with the bomb
// name, keeping the chunk header consistent (flags zstd, stored_len,
// head_sum); the model's serialisation makes every checksum valid.
func bombChunk(m faultModel, i int, name string) {
	p := m.body[i].payload
	he := chunkHeadEnd(p)
	rawLen := int(faultU32(p, he-8))
	bomb := zstdBombs(rawLen)[name]
	np := append(slices.Clone(p[:he+8]), bomb...)
	binary.LittleEndian.PutUint16(np[4:], 1) // stored bytes are zstd
	binary.LittleEndian.PutUint32(np[he-4:], uint32(len(bomb)))
	if rawLen == 0 {
		// A chunk of zero pages only: make its first page a data page.
		np[20] = 0
		binary.LittleEndian.PutUint32(np[he-8:], uint32(m.ps))
	}
	fixChunkHead(np)
	m.body[i].payload = np
}

// hostileJSON replaces the metadata or end record with hostile JSON.
func (fm *faultMutator) hostileJSON() (string, []byte) {
	m := fm.model.clone()
	typ := []uint16{fRecMeta, fRecEnd}[fm.rng.IntN(2)]
	i := fm.pick(m, typ)
	payloads := map[string][]byte{
		"deep-nesting":  append(bytes.Repeat([]byte("["), 100000), bytes.Repeat([]byte("]"), 100000)...),
		"huge-string":   append(append([]byte(`{"comm":"`), bytes.Repeat([]byte("A"), 15<<20)...), `"}`...),
		"huge-number":   []byte(`{"pid":1e999,"threads":-1,"regions":99999999999999999999,"data_bytes":-5}`),
		"bad-utf8":      []byte("{\"comm\":\"\xff\xfe\x80\",\"exe\":\"\xc0\xaf\"}"),
		"wrong-types":   []byte(`{"pid":"x","cmdline":{"a":1},"host":[1,2],"uids":[1],"complete":"yes"}`),
		"not-json":      []byte("\x00\x01\x02not json at all"),
		"huge-array":    append(append([]byte(`{"cmdline":[`), bytes.Repeat([]byte(`"",`), 2<<20)...), `""]}`...),
		"empty":         nil,
		"many-environ":  append(append([]byte(`{"environ":[`), bytes.Repeat([]byte(`"A=B",`), 1<<20)...), `"C=D"]}`...),
		"hostile-paths": []byte(`{"exe":"../../../../etc/passwd","comm":"../../x","host":{"machine":"x86_64","hostname":"../../../tmp/h"}}`),
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range payloads {
			if !yield(k) {
				return
			}
		}
	})
	name := names[fm.rng.IntN(len(names))]
	m.body[i].payload = payloads[name]
	return fmt.Sprintf("json-%s-type-%d", name, typ), m.bytes(true)
}

// forgeHeader forges the header record: version, page and chunk sizes.
func (fm *faultMutator) forgeHeader() (string, []byte) {
	m := fm.model.clone()
	p := m.header.payload
	fields := [][2]int{{0, 2}, {2, 2}, {4, 4}, {8, 4}, {12, 4}}
	f := fields[fm.rng.IntN(len(fields))]
	vals := []uint64{0, 1, 2, 3, 511, 512, 4096, 8192, 1 << 20, 1 << 21, 16 << 20, 32 << 20, 1 << 31, math.MaxUint32, math.MaxUint16}
	v := vals[fm.rng.IntN(len(vals))]
	if f[1] == 2 {
		binary.LittleEndian.PutUint16(p[f[0]:], uint16(v))
	} else {
		binary.LittleEndian.PutUint32(p[f[0]:], uint32(v))
	}
	return fmt.Sprintf("header-field-%d-to-%d", f[0], v), m.bytes(true)
}

// forgeIndex forges index entries or the trailer, with valid checksums and
// a matching trailer SHA-256, so that the reader trusts them.
func (fm *faultMutator) forgeIndex() (string, []byte) {
	m := fm.model.clone()
	full := m.bytes(true)
	offs := recordOffsets(full)
	idxOff := offs[len(offs)-2]
	body := full[:idxOff]
	ip := slices.Clone(full[idxOff+fRecHeadLen : len(full)-72-8])
	n := int(faultU64(ip, 0))
	nasty := faultNasty(len(full))
	v := nasty[fm.rng.IntN(len(nasty))]
	var what string
	switch k := fm.rng.IntN(4); {
	case k == 0 || n == 0:
		binary.LittleEndian.PutUint64(ip, v)
		what = "count"
	default:
		e := fm.rng.IntN(n)
		field := [][2]int{{0, 8}, {8, 8}, {16, 2}, {20, 4}, {24, 8}, {32, 8}}[fm.rng.IntN(6)]
		at := 8 + e*fIndexEntry + field[0]
		switch field[1] {
		case 2:
			binary.LittleEndian.PutUint16(ip[at:], uint16(v))
		case 4:
			binary.LittleEndian.PutUint32(ip[at:], uint32(v))
		default:
			binary.LittleEndian.PutUint64(ip[at:], v)
		}
		what = fmt.Sprintf("entry-%d-field-%d", e, field[0])
		if fm.rng.IntN(3) == 0 && n > 1 { // entries out of order
			a, b := 8+e*fIndexEntry, 8+fm.rng.IntN(n)*fIndexEntry
			tmp := slices.Clone(ip[a : a+fIndexEntry])
			copy(ip[a:], ip[b:b+fIndexEntry])
			copy(ip[b:], tmp)
			what += "-swapped"
		}
	}
	return fmt.Sprintf("index-%s-to-%d", what, v), appendIndexAndTrailer(slices.Clone(body), ip)
}
