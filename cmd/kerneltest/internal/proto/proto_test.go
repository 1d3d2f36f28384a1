package proto

import "testing"

// TestLines: every event survives Format and Parse; other lines are not
// events; broken events are errors.
func TestLines(t *testing.T) {
	for _, l := range []Line{
		{Kind: KindInfo, Suite: "kernel", Text: "6.1.0-57-amd64"},
		{Kind: KindBegin, Suite: "snapshot/capture"},
		{Kind: KindOut, Suite: "procfs", Text: "--- PASS: TestX (0.01s)"},
		{Kind: KindOut, Suite: "procfs", Text: ""},
		{Kind: KindOut, Suite: "procfs", Text: "  two  spaces  "},
		{Kind: KindEnd, Suite: "procfs", Status: -1, Seconds: 12.5},
		{Kind: KindDone, Status: 2},
	} {
		got, ok, err := Parse(l.Format())
		if !ok || err != nil || got != l {
			t.Errorf("Parse(%q) = %+v, %v, %v; want %+v", l.Format(), got, ok, err, l)
		}
	}
	for _, s := range []string{"", "[    0.02] kernel message", "@k", " @kt done 0"} {
		if _, ok, err := Parse(s); ok || err != nil {
			t.Errorf("Parse(%q): event %v, error %v; want neither", s, ok, err)
		}
	}
	for _, s := range []string{"@kt ", "@kt what x", "@kt begin", "@kt begin a b", "@kt end x 0", "@kt end x y 1.0", "@kt done", "@kt info key", "@kt out"} {
		if _, ok, err := Parse(s); !ok || err == nil {
			t.Errorf("Parse(%q): event %v, error %v; want a malformed event", s, ok, err)
		}
	}
}
