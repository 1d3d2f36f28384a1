package formattest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// Archive describes a test archive. Its records are written in the order
// a capture writes them: metadata, maps, auxv, threads, then the regions.
type Archive struct {
	Options format.WriterOptions // zero values take format's defaults
	Meta    *format.Meta         // nil: no metadata record
	Maps    []byte               // the maps record; nil: the regions' MapsLines
	Auxv    []byte               // nil: no auxv record
	Threads []format.Thread
	Regions []Region
	End     format.End // Close fills in the counters
}

// Region is one region of a test archive.
//
// Layout has one letter a page, from Desc.Start:
//
//	D  data: the page's bytes from Data
//	z  a page of zeros written as data (the writer stores a zero page)
//	Z  a zero fill
//	U  an unreadable fill, errno EIO (5, as a read of /proc/PID/mem fails)
//	F  an unreadable fill, errno EFAULT (14, as process_vm_readv fails)
//	N  a not-captured fill
//
// Runs of D and z pages go to the writer in one WriteData call, cut where
// Splits say. A Layout shorter than the region leaves its last pages to
// EndRegion, which records them as not captured (as a capture that stopped
// short does). A skipped region (Desc.Skip) takes no data.
type Region struct {
	// Desc describes the region. Index is set to the region's place in
	// Archive.Regions; End, when 0, to Start plus the Layout's pages;
	// MapsLine, when empty, to MapsLine(Desc), as a capture records it.
	Desc    format.RegionDesc
	Layout  string
	Data    []byte // the region's bytes from Start: every D page must be in it
	Splits  []int  // pages where a new WriteData call begins
	Method  format.Method
	Message string // EndRegion's message: why the region is partial
}

// Errnos of the U and F pages.
const (
	EIO    = 5
	EFAULT = 14
)

// Unreadable is the layout letter of an unreadable page with errno: U, F,
// or 0 for another errno.
func Unreadable(errno uint32) byte {
	switch errno {
	case EIO:
		return 'U'
	case EFAULT:
		return 'F'
	}
	return 0
}

// Bytes writes the archive and returns it; it fails t on any error.
func (a Archive) Bytes(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	a.Write(t, &buf)
	return buf.Bytes()
}

// WriteFile writes the archive to path (mode 0600) and returns its bytes.
func (a Archive) WriteFile(t testing.TB, path string) []byte {
	t.Helper()
	b := a.Bytes(t)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

// Write writes the archive to w; it fails t on any error.
func (a Archive) Write(t testing.TB, w io.Writer) {
	t.Helper()
	if err := a.write(w); err != nil {
		t.Fatalf("write the test archive: %v", err)
	}
}

func (a Archive) write(w io.Writer) error {
	aw, err := format.NewWriter(w, a.Options)
	if err != nil {
		return err
	}
	defer aw.Abort() // a no-op once closed
	ps := aw.PageSize()
	if a.Meta != nil {
		if err := aw.WriteMeta(a.Meta); err != nil {
			return err
		}
	}
	if err := aw.WriteMaps(a.maps(ps)); err != nil {
		return err
	}
	if a.Auxv != nil {
		if err := aw.WriteAuxv(a.Auxv); err != nil {
			return err
		}
	}
	for _, th := range a.Threads {
		if err := aw.WriteThread(th); err != nil {
			return err
		}
	}
	for i, g := range a.Regions {
		if err := g.write(aw, g.desc(i, ps), ps); err != nil {
			return fmt.Errorf("region %d: %w", i, err)
		}
	}
	return aw.Close(a.End)
}

// maps is the maps record: Maps, or a line per region.
func (a Archive) maps(ps int) []byte {
	if a.Maps != nil {
		return a.Maps
	}
	var b strings.Builder
	for i, g := range a.Regions {
		b.WriteString(g.desc(i, ps).MapsLine + "\n")
	}
	return []byte(b.String())
}

// MapsLine is the line /proc/PID/maps shows for d, its path padded to the
// kernel's column.
func MapsLine(d format.RegionDesc) string {
	line := fmt.Sprintf("%x-%x %s %08x %02x:%02x %d", d.Start, d.End, d.Perms, d.Offset, d.DevMajor, d.DevMinor, d.Inode)
	if d.Path != "" {
		line += strings.Repeat(" ", max(1, 73-len(line))) + d.Path
	}
	return line
}

// desc is the region's descriptor as written: index i, End and MapsLine
// filled in.
func (g Region) desc(i, ps int) format.RegionDesc {
	d := g.Desc
	d.Index = i
	if d.End == 0 {
		d.End = d.Start + uint64(len(g.Layout)*ps)
	}
	if d.MapsLine == "" {
		d.MapsLine = MapsLine(d)
	}
	return d
}

// write writes the region: descriptor, pages, footer.
func (g Region) write(aw *format.Writer, d format.RegionDesc, ps int) error {
	if err := aw.BeginRegion(d); err != nil {
		return err
	}
	for i := 0; d.Skip == "" && i < len(g.Layout); {
		j, err := g.writeRun(aw, d.Start, i, ps)
		if err != nil {
			return err
		}
		i = j
	}
	m := g.Method
	if m == format.MethodNone {
		m = format.MethodVMReadv
	}
	return aw.EndRegion(m, g.Message)
}

// writeRun writes the pages from i that one writer call takes and returns
// the page after them.
func (g Region) writeRun(aw *format.Writer, start uint64, i, ps int) (int, error) {
	c := g.Layout[i]
	j := i + 1
	for j < len(g.Layout) && sameCall(c, g.Layout[j]) && !(isData(c) && g.splitAt(j)) {
		j++
	}
	addr, end := start+uint64(i*ps), start+uint64(j*ps)
	var err error
	switch c {
	case 'D', 'z':
		var data []byte
		if data, err = g.pages(i, j, ps); err == nil {
			err = aw.WriteData(addr, data)
		}
	case 'Z':
		err = aw.WriteFill(addr, end, format.PageZero, 0)
	case 'U':
		err = aw.WriteFill(addr, end, format.PageUnreadable, EIO)
	case 'F':
		err = aw.WriteFill(addr, end, format.PageUnreadable, EFAULT)
	case 'N':
		err = aw.WriteFill(addr, end, format.PageNotCaptured, 0)
	default:
		err = fmt.Errorf("page %d: layout letter %q, want one of D z Z U F N", i, c)
	}
	return j, err
}

func isData(c byte) bool { return c == 'D' || c == 'z' }

// sameCall reports whether pages a and b go to the writer in one call.
func sameCall(a, b byte) bool { return a == b || isData(a) && isData(b) }

func (g Region) splitAt(page int) bool {
	for _, s := range g.Splits {
		if s == page {
			return true
		}
	}
	return false
}

// pages are the bytes of data pages [i, j): from Data, zeros for z pages.
func (g Region) pages(i, j, ps int) ([]byte, error) {
	run := g.Layout[i:j]
	if last := strings.LastIndexByte(run, 'D'); last >= 0 && len(g.Data) < (i+last+1)*ps {
		return nil, fmt.Errorf("page %d is data, but Data holds only %d bytes", i+last, len(g.Data))
	}
	if !strings.Contains(run, "z") {
		return g.Data[i*ps : j*ps], nil
	}
	b := make([]byte, (j-i)*ps)
	for k := range run {
		if run[k] == 'D' {
			copy(b[k*ps:], g.Data[(i+k)*ps:(i+k+1)*ps])
		}
	}
	return b, nil
}

// Runs are the region's runs of pages with the layout letter c, as page
// ranges [first, end).
func (g Region) Runs(c byte) [][2]int {
	var out [][2]int
	for i := 0; i < len(g.Layout); i++ {
		if g.Layout[i] != c {
			continue
		}
		j := i + 1
		for j < len(g.Layout) && g.Layout[j] == c {
			j++
		}
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}

// Open reads an archive held in memory; it fails t if format refuses it.
func Open(t testing.TB, b []byte) *format.Reader {
	t.Helper()
	r, err := format.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ReadAll reads every region of r through ReadRange and drops the bytes:
// a plain decompression, what the benchmarks compare the verbs with.
func ReadAll(t testing.TB, r *format.Reader) {
	t.Helper()
	for _, g := range r.Regions() {
		if err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(format.Run) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
}
