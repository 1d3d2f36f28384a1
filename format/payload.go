package format

import (
	"encoding/json"
	"fmt"
	"math/bits"
)

// fileHeader is the payload of the header record, the first record.
type fileHeader struct {
	Major, Minor uint16
	PageSize     uint32
	ChunkSize    uint32
}

func (h fileHeader) encode() []byte {
	var e enc
	e.u16(h.Major)
	e.u16(h.Minor)
	e.u32(h.PageSize)
	e.u32(h.ChunkSize)
	e.u32(0) // flags, reserved
	return e.b
}

func decodeHeader(p []byte) (fileHeader, error) {
	d := dec{b: p}
	h := fileHeader{Major: d.u16(), Minor: d.u16(), PageSize: d.u32(), ChunkSize: d.u32()}
	d.u32()
	if err := d.done(); err != nil {
		return h, err
	}
	if h.Major < minMajor || h.Major > VersionMajor {
		return h, fmt.Errorf("format version %d.%d: this procsnap reads versions %d.x to %d.x (use a procsnap that supports version %d)", h.Major, h.Minor, minMajor, VersionMajor, h.Major)
	}
	if err := checkGeometry(int(h.PageSize), int(h.ChunkSize)); err != nil {
		return h, err
	}
	return h, nil
}

func isPow2(n int) bool { return n > 0 && bits.OnesCount(uint(n)) == 1 }

// checkGeometry validates a page size and chunk size pair.
func checkGeometry(page, chunk int) error {
	if !isPow2(page) || page < MinPageSize || page > MaxPageSize {
		return fmt.Errorf("page size %d: want a power of two from %d to %d", page, MinPageSize, MaxPageSize)
	}
	if !isPow2(chunk) || chunk < page || chunk > MaxChunkSize {
		return fmt.Errorf("chunk size %d: want a power of two from the page size (%d) to %d", chunk, page, MaxChunkSize)
	}
	return nil
}

func (d RegionDesc) encode() []byte {
	var e enc
	e.u32(uint32(d.Index))
	e.u64(d.Start)
	e.u64(d.End)
	e.u64(d.Offset)
	e.u32(d.DevMajor)
	e.u32(d.DevMinor)
	e.u64(d.Inode)
	e.str(d.Perms)
	e.str(d.Path)
	e.str(d.MapsLine)
	e.str(d.Skip)
	return e.b
}

func decodeDesc(p []byte, pageSize uint64) (RegionDesc, error) {
	d := dec{b: p}
	r := RegionDesc{
		Index: int(d.u32()), Start: d.u64(), End: d.u64(), Offset: d.u64(),
		DevMajor: d.u32(), DevMinor: d.u32(), Inode: d.u64(),
	}
	r.Perms = d.str(16)
	r.Path = d.str(MaxStringLen)
	r.MapsLine = d.str(MaxStringLen)
	r.Skip = d.str(MaxStringLen)
	if err := d.done(); err != nil {
		return r, err
	}
	if r.End < r.Start || r.Start%pageSize != 0 || r.End%pageSize != 0 {
		return r, fmt.Errorf("region %d bounds %#x-%#x are not page-aligned and ordered", r.Index, r.Start, r.End)
	}
	return r, nil
}

func (f Footer) encode() []byte {
	var e enc
	e.u32(uint32(f.Index))
	e.u8(uint8(f.State))
	e.u8(uint8(f.Method))
	e.u16(0)
	e.u64(f.DataBytes)
	e.u64(f.ZeroBytes)
	e.u64(f.UnreadableBytes)
	e.u64(f.NotCapturedBytes)
	e.u64(f.Hash)
	e.u32(uint32(len(f.Unreadable)))
	for _, r := range f.Unreadable {
		e.u64(r.Start)
		e.u64(r.End)
		e.u32(r.Errno)
	}
	e.str(f.Message)
	return e.b
}

func decodeFooter(p []byte) (Footer, error) {
	d := dec{b: p}
	f := Footer{Index: int(d.u32()), State: RegionState(d.u8()), Method: Method(d.u8())}
	d.u16()
	f.DataBytes, f.ZeroBytes, f.UnreadableBytes, f.NotCapturedBytes = d.u64(), d.u64(), d.u64(), d.u64()
	f.Hash = d.u64()
	n := d.u32()
	if d.err == nil && uint64(n)*20 > uint64(len(p)) {
		return f, fmt.Errorf("footer claims %d unreadable ranges, more than its %d bytes hold", n, len(p))
	}
	f.Unreadable = make([]Range, 0, n)
	for i := uint32(0); i < n && d.err == nil; i++ {
		f.Unreadable = append(f.Unreadable, Range{Start: d.u64(), End: d.u64(), Errno: d.u32()})
	}
	f.Message = d.str(MaxStringLen)
	if err := d.done(); err != nil {
		return f, err
	}
	if f.State > RegionSkipped || f.State == RegionTruncated {
		return f, fmt.Errorf("footer of region %d has unknown state %d", f.Index, f.State)
	}
	return f, nil
}

func (t Thread) encode() []byte {
	var e enc
	e.u32(uint32(t.TID))
	e.u32(uint32(len(t.RegSets)))
	for _, r := range t.RegSets {
		e.u32(r.Type)
		e.bytes(r.Data)
	}
	return e.b
}

func decodeThread(p []byte) (Thread, error) {
	d := dec{b: p}
	t := Thread{TID: int(d.u32())}
	n := d.u32()
	if n > MaxRegSets {
		return t, fmt.Errorf("thread %d claims %d register sets, above the limit %d", t.TID, n, MaxRegSets)
	}
	for i := uint32(0); i < n && d.err == nil; i++ {
		typ := d.u32()
		t.RegSets = append(t.RegSets, RegSet{Type: typ, Data: d.bytes(MaxRegSetLen)})
	}
	return t, d.done()
}

// fill is the payload of a fill record: a page-aligned run of one state
// that stores no bytes (zero, unreadable with errno, or not captured).
type fill struct {
	Region     int
	State      PageState
	Start, End uint64
	Errno      uint32
}

func (f fill) encode() []byte {
	var e enc
	e.u32(uint32(f.Region))
	e.u8(uint8(f.State))
	e.u8(0)
	e.u16(0)
	e.u64(f.Start)
	e.u64(f.End)
	e.u32(f.Errno)
	return e.b
}

func decodeFill(p []byte) (fill, error) {
	d := dec{b: p}
	f := fill{Region: int(d.u32()), State: PageState(d.u8())}
	d.u8()
	d.u16()
	f.Start, f.End, f.Errno = d.u64(), d.u64(), d.u32()
	if err := d.done(); err != nil {
		return f, err
	}
	if f.State == PageData || f.State > PageInherit || f.End <= f.Start {
		return f, fmt.Errorf("fill of region %d has state %d and range %#x-%#x", f.Region, f.State, f.Start, f.End)
	}
	return f, nil
}

// indexEntry locates one record for random access.
type indexEntry struct {
	Offset     int64
	Length     int64 // whole record, header and checksum included
	Type       recType
	Region     int // -1 when the record belongs to no region
	Start, End uint64
}

const indexEntryLen = 40

func encodeIndex(entries []indexEntry) []byte {
	e := enc{b: make([]byte, 0, 8+len(entries)*indexEntryLen)}
	e.u64(uint64(len(entries)))
	for _, x := range entries {
		e.b = appendIndexEntry(e.b, x)
	}
	return e.b
}

func appendIndexEntry(dst []byte, x indexEntry) []byte {
	e := enc{b: dst}
	e.u64(uint64(x.Offset))
	e.u64(uint64(x.Length))
	e.u16(uint16(x.Type))
	e.u16(0)
	e.u32(uint32(int32(x.Region)))
	e.u64(x.Start)
	e.u64(x.End)
	return e.b
}

func decodeIndex(p []byte) ([]indexEntry, error) {
	d := dec{b: p}
	n := d.u64()
	if d.err == nil && n > uint64(len(p)-8)/indexEntryLen {
		return nil, fmt.Errorf("index claims %d entries, more than its %d bytes hold", n, len(p))
	}
	out := make([]indexEntry, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		out = append(out, readIndexEntry(&d))
	}
	return out, d.done()
}

func readIndexEntry(d *dec) indexEntry {
	x := indexEntry{Offset: int64(d.u64()), Length: int64(d.u64()), Type: recType(d.u16())}
	d.u16()
	x.Region = int(int32(d.u32()))
	x.Start, x.End = d.u64(), d.u64()
	return x
}

// trailer is the payload of the last record of a finished archive.
type trailer struct {
	IndexOffset int64
	IndexLength int64
	SHA256      [32]byte // of every archive byte before the trailer record
}

func (t trailer) encode() []byte {
	var e enc
	e.u64(uint64(t.IndexOffset))
	e.u64(uint64(t.IndexLength))
	e.b = append(e.b, t.SHA256[:]...)
	return e.b
}

func decodeTrailer(p []byte) (trailer, error) {
	d := dec{b: p}
	t := trailer{IndexOffset: int64(d.u64()), IndexLength: int64(d.u64())}
	copy(t.SHA256[:], d.take(32))
	return t, d.done()
}

// MaxJSONValues bounds the values (array elements, object members) of a
// JSON record: decoding costs memory per value, far more than the bytes
// of a tiny value such as "" (16 MiB of them would need ~600 MiB).
const MaxJSONValues = 1 << 20

// MaxEndLen bounds the end record.
const MaxEndLen = 1 << 20

// checkJSONValues refuses JSON longer than limit or with more than
// MaxJSONValues values, counted in one pass without decoding anything.
func checkJSONValues(p []byte, limit int) error {
	if len(p) > limit {
		return fmt.Errorf("%d bytes is above the limit %d", len(p), limit)
	}
	values, inString, escaped := 0, false, false
	for _, c := range p {
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped = c == '\\'
			inString = c != '"'
		case c == '"':
			inString = true
		case c == ',' || c == '[' || c == '{':
			values++
		}
	}
	if values > MaxJSONValues {
		return fmt.Errorf("%d values, above the limit %d", values, MaxJSONValues)
	}
	return nil
}

// decodeMeta decodes a metadata record within the limits.
func decodeMeta(p []byte) (*Meta, error) {
	if err := checkJSONValues(p, MaxMetaLen); err != nil {
		return nil, err
	}
	var m Meta
	if err := json.Unmarshal(p, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
