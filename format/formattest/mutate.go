package formattest

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/procsnap/procsnap/format"
)

// Mutant is one hostile archive made from a base archive.
type Mutant struct {
	Name string // base<Base>/<what was done>
	Data []byte
	Base int
	Seq  int // the caller's: its order in a run, from 1
}

// Mutator makes hostile archives from one base archive: truncations, byte
// flips, swapped, duplicated and dropped records, forged lengths and
// fields, zstd bombs, hostile JSON, forged headers, indexes and trailers
// (Mutate, at random) and the same on purpose (Crafted).
type Mutator struct {
	rng   *rand.Rand
	base  int
	raw   []byte
	recs  []format.RawRecord // of raw, index and trailer included
	model Model
}

// NewMutator takes base archive number base, raw, apart; the mutants'
// details come from rng.
func NewMutator(base int, raw []byte, rng *rand.Rand) (*Mutator, error) {
	m, err := ParseModel(raw)
	if err != nil {
		return nil, err
	}
	return &Mutator{rng: rng, base: base, raw: raw, recs: records(raw), model: m}, nil
}

// nasty are the values forged into lengths, counts and addresses.
func nasty(size int) []uint64 {
	return []uint64{0, 1, 7, 4095, 4097, math.MaxInt32, 1 << 31, math.MaxUint32, 1 << 32, 1 << 40,
		math.MaxInt64, 1 << 63, math.MaxUint64, math.MaxUint64 - 4095, uint64(size), uint64(size) + 1}
}

// Mutate returns the i-th random mutant: the kind rotates so that every
// kind is well represented, the details come from the random source.
func (fm *Mutator) Mutate(i int) Mutant {
	kinds := []func() (string, []byte){
		fm.truncate, fm.truncateAtRecord, fm.flipRaw, fm.flipDeep, fm.swapRecords,
		fm.duplicateRecord, fm.dropRecord, fm.forgeFrameLength, fm.forgeField, fm.forgeField,
		fm.zstdBomb, fm.hostileJSON, fm.forgeHeader, fm.forgeIndex, fm.flipDeep,
	}
	name, data := kinds[i%len(kinds)]()
	return Mutant{Name: fmt.Sprintf("base%d/%04d-%s", fm.base, i, name), Data: data, Base: fm.base}
}

func (fm *Mutator) truncate() (string, []byte) {
	n := fm.rng.IntN(len(fm.raw))
	return fmt.Sprintf("truncate-at-%d", n), fm.raw[:n:n]
}

func (fm *Mutator) truncateAtRecord() (string, []byte) {
	n := int(fm.recs[fm.rng.IntN(len(fm.recs))].Offset) + fm.rng.IntN(41) - 20
	n = max(0, min(n, len(fm.raw)-1))
	return fmt.Sprintf("truncate-near-record-at-%d", n), fm.raw[:n:n]
}

func (fm *Mutator) flipRaw() (string, []byte) {
	b := slices.Clone(fm.raw)
	k := 1 + fm.rng.IntN(8)
	for range k {
		b[fm.rng.IntN(len(b))] ^= byte(1 + fm.rng.IntN(255))
	}
	return fmt.Sprintf("flip-%d-bytes", k), b
}

// pick returns the index of a random body record, preferring type typ
// when typ is not 0 and such a record exists.
func (fm *Mutator) pick(m Model, typ format.RecordType) int {
	var of []int
	for i, r := range m.Body {
		if typ == 0 || r.Type == typ {
			of = append(of, i)
		}
	}
	if len(of) == 0 {
		return fm.rng.IntN(len(m.Body))
	}
	return of[fm.rng.IntN(len(of))]
}

// flipDeep changes payload bytes of one record and keeps every checksum
// (record, chunk head, index, trailer) valid.
func (fm *Mutator) flipDeep() (string, []byte) {
	m := fm.model.Clone()
	i := fm.pick(m, []format.RecordType{0, format.RecordChunk, format.RecordRegion, format.RecordFooter, format.RecordFill, format.RecordThread}[fm.rng.IntN(6)])
	p := m.Body[i].Payload
	if len(p) == 0 {
		return "flip-deep-empty", m.Bytes(true)
	}
	k := 1 + fm.rng.IntN(4)
	for range k {
		p[fm.rng.IntN(len(p))] ^= byte(1 + fm.rng.IntN(255))
	}
	if m.Body[i].Type == format.RecordChunk && fm.rng.IntN(2) == 0 {
		format.FixChunkHeadSum(p)
	}
	return fmt.Sprintf("flip-deep-record-%d-type-%d", i, m.Body[i].Type), m.Bytes(fm.rng.IntN(4) != 0)
}

func (fm *Mutator) swapRecords() (string, []byte) {
	m := fm.model.Clone()
	i := fm.rng.IntN(len(m.Body))
	j := i + 1
	if fm.rng.IntN(2) == 0 || j >= len(m.Body) {
		j = fm.rng.IntN(len(m.Body))
	}
	m.Body[i], m.Body[j] = m.Body[j], m.Body[i]
	if fm.rng.IntN(2) != 0 {
		// The original index now points at the wrong records.
		return fmt.Sprintf("swap-%d-%d-stale-index", i, j), fm.withStaleTail(m)
	}
	return fmt.Sprintf("swap-%d-%d", i, j), m.Bytes(true)
}

// withStaleTail serialises m with the base archive's index and trailer
// (now wrong) appended.
func (fm *Mutator) withStaleTail(m Model) []byte {
	b := m.Bytes(false)
	for _, r := range fm.recs {
		if r.Type == format.RecordIndex {
			return append(b, fm.raw[r.Offset:]...)
		}
	}
	return b
}

func (fm *Mutator) duplicateRecord() (string, []byte) {
	m := fm.model.Clone()
	i := fm.pick(m, []format.RecordType{0, format.RecordRegion, format.RecordChunk, format.RecordFooter, format.RecordMeta,
		format.RecordThread, format.RecordFill, format.RecordEnd}[fm.rng.IntN(8)])
	at := i + 1
	if fm.rng.IntN(3) == 0 {
		at = fm.rng.IntN(len(m.Body) + 1)
	}
	dup := m.Body[i]
	dup.Payload = slices.Clone(dup.Payload)
	m.Body = slices.Insert(m.Body, at, dup)
	return fmt.Sprintf("duplicate-%d-type-%d-at-%d", i, dup.Type, at), m.Bytes(fm.rng.IntN(3) != 0)
}

func (fm *Mutator) dropRecord() (string, []byte) {
	m := fm.model.Clone()
	i := fm.pick(m, []format.RecordType{0, format.RecordRegion, format.RecordFooter, format.RecordMeta, format.RecordEnd}[fm.rng.IntN(5)])
	typ := m.Body[i].Type
	m.Body = slices.Delete(m.Body, i, i+1)
	return fmt.Sprintf("drop-%d-type-%d", i, typ), m.Bytes(fm.rng.IntN(3) != 0)
}

// forgeFrameLength writes a nasty payload length into a record frame,
// with or without a checksum that matches it.
func (fm *Mutator) forgeFrameLength() (string, []byte) {
	b := slices.Clone(fm.raw)
	r := fm.recs[fm.rng.IntN(len(fm.recs))]
	off := int(r.Offset)
	vals := []uint64{1 << 63, 1 << 32, uint64(len(b)) + 1, math.MaxUint64, uint64(len(b) - off), 1 << 30}
	v := vals[fm.rng.IntN(len(vals))]
	set(b[off:], lengthField(), v)
	resum := fm.rng.IntN(2) == 0
	if resum && v < uint64(len(b)-off-format.RecordHeaderLen-format.RecordSumLen) {
		r.Payload = b[off+format.RecordHeaderLen : off+format.RecordHeaderLen+int(v)]
		copy(b[off:], format.AppendRecord(nil, r))
	}
	return fmt.Sprintf("frame-length-%d-at-%d-resum-%v", v, off, resum), b
}

// forged are the fields forgeField forges, by record type: lengths,
// counts and addresses (a footer's first range when it has one).
var forged = map[format.RecordType][]string{
	format.RecordRegion: {"index", "start", "end", "offset", "perms.len", "path.len"},
	format.RecordChunk:  {"region", "flags", "start", "npages"},
	format.RecordFill:   {"region", "state", "start", "end", "errno"},
	format.RecordFooter: {"region", "state", "method", "data_bytes", "zero_bytes", "unreadable_bytes", "not_captured_bytes",
		"hash", "count", "ranges[0].start", "ranges[0].end", "message.len"},
	format.RecordThread: {"tid", "count", "regsets[0].type", "regsets[0].data.len"},
}

// forgeField writes a nasty value into a length, count or address field of
// one record (sometimes 4 bytes anywhere in it), with valid checksums and
// a rebuilt index.
func (fm *Mutator) forgeField() (string, []byte) {
	m := fm.model.Clone()
	types := []format.RecordType{format.RecordRegion, format.RecordChunk, format.RecordFill, format.RecordFooter, format.RecordThread}
	i := fm.pick(m, types[fm.rng.IntN(len(types))])
	r := m.Body[i]
	var fields []format.Field // those of forged[r.Type] that r has
	for _, name := range forged[r.Type] {
		if f, ok := format.FieldOf(r.Type, r.Payload, name); ok {
			fields = append(fields, f)
		}
	}
	var f format.Field
	ok := true
	if len(fields) == 0 || fm.rng.IntN(5) == 0 {
		f = format.Field{Name: "any", Offset: fm.rng.IntN(max(1, len(r.Payload)-3)), Size: 4}
		ok = f.Offset+f.Size <= len(r.Payload)
	} else {
		f = fields[fm.rng.IntN(len(fields))]
	}
	if r.Type == format.RecordChunk && fm.rng.IntN(2) == 0 {
		f, ok = format.FieldOf(r.Type, r.Payload, []string{"raw_len", "stored_len"}[fm.rng.IntN(2)])
	}
	all := nasty(len(fm.raw))
	v := all[fm.rng.IntN(len(all))]
	if !ok {
		return "forge-field-short", m.Bytes(true)
	}
	set(r.Payload, f, v)
	if r.Type == format.RecordChunk {
		format.FixChunkHeadSum(r.Payload)
	}
	return fmt.Sprintf("forge-type-%d-record-%d-field-%d-to-%d", r.Type, i, f.Offset, v), m.Bytes(true)
}

// hostileJSON replaces the metadata or end record with hostile JSON.
func (fm *Mutator) hostileJSON() (string, []byte) {
	m := fm.model.Clone()
	typ := []format.RecordType{format.RecordMeta, format.RecordEnd}[fm.rng.IntN(2)]
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
	names := sortedKeys(payloads)
	name := names[fm.rng.IntN(len(names))]
	m.Body[i].Payload = payloads[name]
	return fmt.Sprintf("json-%s-type-%d", name, typ), m.Bytes(true)
}

// forgeHeader forges the header record: version, page and chunk sizes.
func (fm *Mutator) forgeHeader() (string, []byte) {
	m := fm.model.Clone()
	fields := format.Fields(format.RecordHeader, m.Header.Payload)
	f := fields[fm.rng.IntN(len(fields))]
	vals := []uint64{0, 1, 2, 3, 511, 512, 4096, 8192, 1 << 20, 1 << 21, 16 << 20, 32 << 20, 1 << 31, math.MaxUint32, math.MaxUint16}
	v := vals[fm.rng.IntN(len(vals))]
	set(m.Header.Payload, f, v)
	return fmt.Sprintf("header-field-%d-to-%d", f.Offset, v), m.Bytes(true)
}

// forgeIndex forges index entries or their count, with valid checksums
// and a matching trailer SHA-256, so that the reader trusts them.
func (fm *Mutator) forgeIndex() (string, []byte) {
	full := fm.model.Bytes(true)
	recs := records(full)
	idx := recs[len(recs)-2]
	ip := slices.Clone(idx.Payload)
	n := int(field(idx, "count"))
	all := nasty(len(full))
	v := all[fm.rng.IntN(len(all))]
	var what string
	switch k := fm.rng.IntN(4); {
	case k == 0 || n == 0:
		setField(format.RawRecord{Type: format.RecordIndex, Payload: ip}, "count", v)
		what = "count"
	default:
		e := fm.rng.IntN(n)
		name := []string{"offset", "length", "type", "region", "start", "end"}[fm.rng.IntN(6)]
		f, _ := format.FieldOf(format.RecordIndex, ip, fmt.Sprintf("entries[%d].%s", e, name))
		set(ip, f, v)
		what = fmt.Sprintf("entry-%d-field-%d", e, f.Offset-entryAt(ip, e))
		if fm.rng.IntN(3) == 0 && n > 1 { // entries out of order
			a, b := entryAt(ip, e), entryAt(ip, fm.rng.IntN(n))
			tmp := slices.Clone(ip[a : a+format.IndexEntryLen])
			copy(ip[a:], ip[b:b+format.IndexEntryLen])
			copy(ip[b:], tmp)
			what += "-swapped"
		}
	}
	return fmt.Sprintf("index-%s-to-%d", what, v), format.AppendTrailer(slices.Clone(full[:idx.Offset]), ip)
}

// entryAt is the offset of index entry e in the index payload p.
func entryAt(p []byte, e int) int {
	f, _ := format.FieldOf(format.RecordIndex, p, fmt.Sprintf("entries[%d].offset", e))
	return f.Offset
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}
