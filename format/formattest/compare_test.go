package formattest

import (
	"bytes"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// TestSame: the same pages written in other chunks and calls are Same;
// Content tells a changed byte and a changed errno apart.
func TestSame(t *testing.T) {
	data := bytes.Repeat([]byte("same pages "), 8*4096/11+1)
	archive := func(chunk int, layout string, splits ...int) *format.Reader {
		return Open(t, Archive{Options: format.WriterOptions{ChunkSize: chunk}, Regions: []Region{
			{Desc: format.RegionDesc{Start: 0x10000, Perms: "rw-p"}, Layout: layout, Data: data, Splits: splits}}}.Bytes(t))
	}
	a, b := archive(4*4096, "DDzDUUDD"), archive(16*4096, "DDzDUUDD", 1, 3)
	Same(t, a, b)
	data[5] ^= 1
	c := archive(4*4096, "DDzDUUDD")
	d := archive(4*4096, "DDzDFFDD")
	ca, cc, cd := Content(t, a, a.Regions()[0]), Content(t, c, c.Regions()[0]), Content(t, d, d.Regions()[0])
	if ca == cc || cc == cd {
		t.Error("Content does not tell a changed byte or errno")
	}
}
