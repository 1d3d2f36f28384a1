package formattest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// TestArchive: every layout letter, a split, a short layout and a skipped
// region come back from format's Reader as described.
func TestArchive(t *testing.T) {
	const ps = 4096
	heap := bytes.Repeat([]byte{0xab}, 8*ps)
	a := Archive{
		Options: format.WriterOptions{ChunkSize: 4 * ps},
		Meta:    &format.Meta{PID: 7, Comm: "t"},
		Auxv:    make([]byte, 16),
		Threads: []format.Thread{{TID: 7, RegSets: []format.RegSet{{Type: 1, Data: make([]byte, 216)}}}},
		Regions: []Region{
			{Desc: format.RegionDesc{Start: 0x10000, Perms: "rw-p", Path: "[heap]"}, Layout: "DzDZUFND", Data: heap, Splits: []int{2}},
			{Desc: format.RegionDesc{Start: 0x20000, End: 0x24000, Perms: "r--p"}, Layout: "D", Data: heap, Message: "cut short"},
			{Desc: format.RegionDesc{Start: 0x30000, End: 0x32000, Perms: "---p", Skip: "no read permission"}},
		},
		End: format.End{Complete: true},
	}
	r := Open(t, a.Bytes(t))
	if m := r.Meta(); m == nil || m.PID != 7 || len(r.Threads()) != 1 || len(r.Auxv()) != 16 {
		t.Fatalf("meta %+v, %d threads, %d auxv bytes", m, len(r.Threads()), len(r.Auxv()))
	}
	want := "10000-18000 rw-p 00000000 00:00 0" + strings.Repeat(" ", 40) + "[heap]\n" +
		"20000-24000 r--p 00000000 00:00 0\n30000-32000 ---p 00000000 00:00 0\n"
	if string(r.Maps()) != want {
		t.Errorf("maps\n%q, want\n%q", r.Maps(), want)
	}
	gs := r.Regions()
	if len(gs) != 3 || gs[0].Desc.End != 0x18000 || gs[0].Desc.MapsLine+"\n" != want[:strings.Index(want, "\n")+1] ||
		gs[2].State() != format.RegionSkipped {
		t.Fatalf("regions %+v", gs)
	}
	if got := pageStates(t, r, gs[0]); got != "data zero data zero unreadable/5 unreadable/14 not-captured data" {
		t.Errorf("region 0 pages: %s", got)
	}
	if got := pageStates(t, r, gs[1]); got != "data not-captured not-captured not-captured" || gs[1].Footer.Message != "cut short" {
		t.Errorf("region 1 pages: %s, message %q", got, gs[1].Footer.Message)
	}
	var chunks []string
	for _, s := range gs[0].Spans() {
		if s.IsChunk() {
			chunks = append(chunks, fmt.Sprintf("%#x-%#x", s.Start, s.End))
		}
	}
	if strings.Join(chunks, " ") != "0x10000-0x12000 0x12000-0x13000 0x17000-0x18000" {
		t.Errorf("chunks of region 0: %v, want the split at page 2", chunks)
	}
}

// pageStates lists a region's pages as states (data pages checked against
// the 0xab bytes the test wrote).
func pageStates(t *testing.T, r *format.Reader, g *format.Region) string {
	t.Helper()
	var out []string
	err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(run format.Run) error {
		for a := run.Start; a < run.End; a += 4096 {
			s := run.State.String()
			switch {
			case run.State == format.PageUnreadable:
				s += fmt.Sprintf("/%d", run.Errno)
			case run.State == format.PageData && !bytes.Equal(run.Data[a-run.Start:a-run.Start+4096], bytes.Repeat([]byte{0xab}, 4096)):
				s += "(wrong bytes)"
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

func TestRuns(t *testing.T) {
	got := fmt.Sprint(Region{Layout: "DDzDZDDD"}.Runs('D'), Region{Layout: "DDzDZDDD"}.Runs('Z'), Region{}.Runs('D'))
	if want := "[[0 2] [3 4] [5 8]] [[4 5]] []"; got != want {
		t.Errorf("runs %s, want %s", got, want)
	}
}

func TestArchiveRefuses(t *testing.T) {
	for name, g := range map[string]Region{
		"letter":     {Layout: "DX", Data: make([]byte, 8192)},
		"short data": {Layout: "DD", Data: make([]byte, 4096)},
	} {
		err := Archive{Regions: []Region{g}}.write(new(bytes.Buffer))
		if err == nil || !strings.Contains(err.Error(), "page 1") {
			t.Errorf("%s: %v, want an error naming page 1", name, err)
		}
	}
}
