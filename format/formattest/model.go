package formattest

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// Model is a well-formed archive taken apart into its records, to be
// damaged and put back together with valid checksums and with an index
// and trailer that a reader trusts: the damage then reaches the decoders
// and the verbs instead of stopping at a checksum. The layout is format's
// (format.SplitRecords, AppendRecord, AppendIndex, Fields).
type Model struct {
	Header   format.RawRecord
	Body     []format.RawRecord // every record but the header, index and trailer
	PageSize int                // the header's, as it was before any damage
}

// ParseModel takes a well-formed archive apart.
func ParseModel(b []byte) (Model, error) {
	recs, err := format.SplitRecords(b)
	if err != nil {
		return Model{}, err
	}
	var m Model
	for _, r := range recs {
		r.Payload = slices.Clone(r.Payload)
		switch r.Type {
		case format.RecordHeader:
			m.Header = r
			m.PageSize = int(field(r, "page_size"))
		case format.RecordIndex, format.RecordTrailer:
		default:
			m.Body = append(m.Body, r)
		}
	}
	if m.PageSize == 0 {
		return m, fmt.Errorf("no header record with a page size")
	}
	return m, nil
}

// Clone is a deep copy of m.
func (m Model) Clone() Model {
	c := Model{Header: m.Header, PageSize: m.PageSize, Body: slices.Clone(m.Body)}
	c.Header.Payload = slices.Clone(m.Header.Payload)
	for i := range c.Body {
		c.Body[i].Payload = slices.Clone(c.Body[i].Payload)
	}
	return c
}

// Bytes puts the archive back together: signature, header and body, and
// with index an index of the body and a trailer with the right SHA-256.
func (m Model) Bytes(index bool) []byte {
	b := format.AppendRecord([]byte(format.Signature), m.Header)
	placed := make([]format.RawRecord, len(m.Body))
	for i, r := range m.Body {
		r.Offset = int64(len(b))
		b = format.AppendRecord(b, r)
		placed[i] = r
	}
	if !index {
		return b
	}
	return format.AppendIndex(b, m.PageSize, placed)
}

// field is the value of r's field name, 0 when r has no such field.
func field(r format.RawRecord, name string) uint64 {
	f, ok := format.FieldOf(r.Type, r.Payload, name)
	if !ok {
		return 0
	}
	return get(r.Payload, f)
}

// get reads the integer field f of p.
func get(p []byte, f format.Field) uint64 {
	var b [8]byte
	copy(b[:], p[f.Offset:f.Offset+min(f.Size, 8)])
	return binary.LittleEndian.Uint64(b[:])
}

// set writes v into the integer field f of p, truncated to its size.
func set(p []byte, f format.Field, v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	copy(p[f.Offset:f.Offset+min(f.Size, 8)], b[:])
}

// setField writes v into r's field name; false when r has none.
func setField(r format.RawRecord, name string, v uint64) bool {
	f, ok := format.FieldOf(r.Type, r.Payload, name)
	if ok {
		set(r.Payload, f, v)
	}
	return ok
}

// RecordField is where, in archive b, the field name (format.Fields) of
// the record whose frame starts at off lies: its Offset counts from the
// start of b. It fails t when there is no such record or field.
func RecordField(t testing.TB, b []byte, off int64, name string) format.Field {
	t.Helper()
	recs, err := format.SplitRecords(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Offset != off {
			continue
		}
		f, ok := format.FieldOf(r.Type, r.Payload, name)
		if !ok {
			t.Fatalf("the %v record at %d has no field %s", r.Type, off, name)
		}
		f.Offset += int(off) + format.RecordHeaderLen
		return f
	}
	t.Fatalf("no record starts at %d", off)
	return format.Field{}
}

// records splits b, which must be well formed (a base archive or one
// Model.Bytes made).
func records(b []byte) []format.RawRecord {
	recs, err := format.SplitRecords(b)
	if err != nil {
		panic(fmt.Sprintf("formattest: records of a well-formed archive: %v", err))
	}
	return recs
}

// lengthField is where a frame holds its payload length.
func lengthField() format.Field {
	for _, f := range format.Frame() {
		if f.Name == "length" {
			return f
		}
	}
	panic("formattest: format.Frame has no length")
}
