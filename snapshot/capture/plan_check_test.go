package capture

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
	"github.com/procsnap/procsnap/procfs"
)

// TestCheckRuns: a plan's runs obey the writer's invariant and cover the
// mapping, or the plan is refused with format.ErrRunOrder.
func TestCheckRuns(t *testing.T) {
	m := procfs.Mapping{Start: 0x10000, End: 0x14000}
	cases := []struct {
		name string
		runs []planRun
		ok   bool
	}{
		{"whole", []planRun{{0x10000, 0x14000, runRead}}, true},
		{"split", []planRun{{0x10000, 0x11000, runRead}, {0x11000, 0x14000, runZero}}, true},
		{"backwards", []planRun{{0x10000, 0x13000, runRead}, {0x12000, 0x14000, runRead}}, false},
		{"gap", []planRun{{0x10000, 0x11000, runRead}, {0x12000, 0x14000, runRead}}, false},
		{"short", []planRun{{0x10000, 0x13000, runRead}}, false},
		{"beyond", []planRun{{0x10000, 0x15000, runRead}}, false},
		{"empty run", []planRun{{0x10000, 0x10000, runRead}, {0x10000, 0x14000, runRead}}, false},
		{"unaligned", []planRun{{0x10000, 0x10800, runRead}, {0x10800, 0x14000, runRead}}, false},
	}
	for _, tc := range cases {
		err := checkRuns(m, tc.runs, 4096)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, format.ErrRunOrder)) {
			t.Errorf("%s: error %v", tc.name, err)
		}
	}
}

// TestFailureNamesMissingRegions hands the writer a region whose runs go
// backwards (the G1 JVM failure before PAGEMAP_SCAN's answers were
// checked): the error names the region and the invariant, and the closed
// archive names the failing region and every region after it as not
// captured, with the reason, instead of calling them complete or leaving
// them out.
func TestFailureNamesMissingRegions(t *testing.T) {
	plans := []regionPlan{
		{desc: format.RegionDesc{Index: 0, Start: 0x10000, End: 0x14000, Perms: "rw-p"}},
		{desc: format.RegionDesc{Index: 1, Start: 0x20000, End: 0x22000, Perms: "rw-p"}},
		{desc: format.RegionDesc{Index: 2, Start: 0x30000, End: 0x31000, Perms: "---p", Skip: "no read permission"}},
	}
	var out bytes.Buffer
	aw, err := format.NewWriter(&out, format.WriterOptions{PageSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	em := newEmitter(aw, plans)
	u := unit{plan: 0, out: []outRun{
		{start: 0x10000, end: 0x13000, kind: outData, data: bytes.Repeat([]byte{7}, 0x3000)},
		{start: 0x12000, end: 0x14000, kind: outData, data: bytes.Repeat([]byte{8}, 0x2000)},
	}}
	err = em.unit(&u)
	if !errors.Is(err, format.ErrRunOrder) || !strings.Contains(err.Error(), "region 0") {
		t.Fatalf("emit: %v, want a run-order error naming region 0", err)
	}
	reason := "capture failed: " + err.Error()
	if err := em.close(reason); err != nil {
		t.Fatal(err)
	}
	if err := aw.Close(format.End{Reason: reason}); err != nil {
		t.Fatal(err)
	}
	regions := formattest.Open(t, out.Bytes()).Regions()
	if len(regions) != 3 {
		t.Fatalf("%d regions in the archive, want 3", len(regions))
	}
	for _, g := range regions {
		f := g.Footer
		switch {
		case f == nil:
			t.Errorf("region %d has no footer", g.Desc.Index)
		case f.Message != reason:
			t.Errorf("region %d: message %q, want %q", g.Desc.Index, f.Message, reason)
		case g.Desc.Index == 0 && (g.State() != format.RegionPartial || f.NotCapturedBytes != 0x1000):
			t.Errorf("region 0: state %v, not captured %d; want partial, its last page", g.State(), f.NotCapturedBytes)
		case g.Desc.Index == 1 && (g.State() != format.RegionPartial || f.NotCapturedBytes != 0x2000):
			t.Errorf("region 1: state %v, not captured %d; want partial, all of it", g.State(), f.NotCapturedBytes)
		}
	}
}
