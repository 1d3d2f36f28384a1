package main

// Hostile archives made on purpose rather than at random, so that every
// run covers them: regions of petabytes with intact chunks and footers,
// every zstd bomb in a compressed chunk, forged frame lengths, a forged
// index count and trailer, metadata at its size limit.

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"
)

// faultCrafted returns the crafted archives of one base.
func faultCrafted(base int, raw []byte, model faultModel) []faultMutant {
	var out []faultMutant
	add := func(name string, data []byte) {
		out = append(out, faultMutant{name: fmt.Sprintf("base%d/crafted-%s", base, name), data: data, base: base})
	}
	craftHugeRegions(model, add)
	craftBombs(model, add)
	craftLengths(raw, model, add)
	if faultLong() || base == 0 { // slow to parse: on the first base only, all in the long mode
		craftBigMeta(model, add)
	}
	return out
}

// firstRecord is the index of the first body record of type typ for whose
// payload ok holds (nil: any), or -1.
func firstRecord(m faultModel, typ uint16, ok func([]byte) bool) int {
	for i, r := range m.body {
		if r.typ == typ && (ok == nil || ok(r.payload)) {
			return i
		}
	}
	return -1
}

// craftHugeRegions grows the first and the last region that hold data to
// petabytes (the first then overlaps the others, the last does not), with
// its chunks and footer intact.
func craftHugeRegions(model faultModel, add func(string, []byte)) {
	var chunks []int
	for i, r := range model.body {
		if r.typ == fRecChunk {
			chunks = append(chunks, i)
		}
	}
	if len(chunks) == 0 {
		return
	}
	forged := []struct {
		name  string
		field int // payload offset of start (4) or end (12)
		v     func(end uint64) uint64
	}{
		{"end-plus-2^55", 12, func(e uint64) uint64 { return e + 1<<55 }},
		{"end-max", 12, func(uint64) uint64 { return math.MaxUint64 - 4095 }},
		{"start-0", 4, func(uint64) uint64 { return 0 }},
	}
	for which, chunk := range map[string]int{"first": chunks[0], "last": chunks[len(chunks)-1]} {
		reg := int32(faultU32(model.body[chunk].payload, 0))
		isReg := func(p []byte) bool { return int32(faultU32(p, 0)) == reg }
		for _, f := range forged {
			m := model.clone()
			if d := firstRecord(m, fRecRegion, isReg); d >= 0 {
				p := m.body[d].payload
				binary.LittleEndian.PutUint64(p[f.field:], f.v(faultU64(p, 12)))
				add(which+"-region-"+f.name, m.bytes(true))
			}
		}
	}
}

// craftBombs puts every zstd bomb in the first compressed chunk.
func craftBombs(model faultModel, add func(string, []byte)) {
	compressed := func(p []byte) bool { return faultU32(p, 4)&1 == 1 }
	i := firstRecord(model, fRecChunk, compressed)
	if i < 0 {
		return
	}
	for _, name := range faultBombNames() {
		m := model.clone()
		bombChunk(m, i, name)
		add("zstd-bomb-"+name, m.bytes(true))
	}
}

// craftLengths forges the frame length of the first record after the
// header, the index's entry count, and the trailer's index offset.
func craftLengths(raw []byte, model faultModel, add func(string, []byte)) {
	offs := recordOffsets(raw)
	for _, v := range []uint64{1 << 63, 1 << 32, uint64(len(raw)) + 1} {
		b := slices.Clone(raw)
		binary.LittleEndian.PutUint64(b[offs[1]+8:], v)
		add(fmt.Sprintf("frame-length-%d", v), b)
	}
	full := model.bytes(true)
	fo := recordOffsets(full)
	idx := fo[len(fo)-2]
	ip := slices.Clone(full[idx+fRecHeadLen : len(full)-72-fRecSumLen])
	binary.LittleEndian.PutUint64(ip, math.MaxInt64)
	add("index-count-2^63", appendIndexAndTrailer(slices.Clone(full[:idx]), ip))
	for _, v := range []uint64{uint64(len(full)) + 1, 1 << 63, 0} {
		b := slices.Clone(full)
		binary.LittleEndian.PutUint64(b[len(b)-72+fRecHeadLen:], v)
		binary.LittleEndian.PutUint64(b[len(b)-fRecSumLen:], xxhash.Sum64(b[len(b)-72:len(b)-fRecSumLen]))
		add(fmt.Sprintf("trailer-index-offset-%d", v), b)
	}
}

// craftBigMeta replaces the metadata with JSON at its 16 MiB limit made of
// the smallest values: millions of empty strings or keys.
func craftBigMeta(model faultModel, add func(string, []byte)) {
	kinds := []struct{ name, head, item, tail string }{
		{"cmdline", `{"cmdline":[`, `"",`, `""]}`},
		{"extra", `{"extra":{`, `"":"",`, `"":""}}`},
		{"environ", `{"environ":[`, `"",`, `""]}`},
		{"unknown-key", `{"x":[`, `[],`, `[]]}`},
	}
	if !faultLong() {
		kinds = kinds[:2]
	}
	for _, j := range kinds {
		m := model.clone()
		if i := firstRecord(m, fRecMeta, nil); i >= 0 {
			n := (16<<20 - len(j.head) - len(j.tail)) / len(j.item)
			m.body[i].payload = []byte(j.head + strings.Repeat(j.item, n) + j.tail)
			add("meta-16MiB-of-"+j.name, m.bytes(true))
		}
	}
}
