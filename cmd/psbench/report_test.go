package main

import (
	"regexp"
	"strings"
	"testing"
)

// figure matches a rendered time or size, with a range when there are
// several runs; ratioCell matches a rendered ratio.
var (
	figure    = regexp.MustCompile(`^-?[0-9.]+ (µs|ms|s|B|KiB|MiB|GiB)( \(-?[0-9.]+ [a-zµA-Z]+–-?[0-9.]+ [a-zµA-Z]+\))?$`)
	ratioCell = regexp.MustCompile(`^[0-9.]+×( shorter| faster| longer| slower)?$`)
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := (Measure{Samples: tc.in}).Median(); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2GiB", 2 << 30, true},
		{"256MiB", 256 << 20, true},
		{"16M", 16 << 20, true},
		{"4096", 4096, true},
		{"0", 0, false},
		{"2XB", 0, false},
		{"MiB", 0, false},
	} {
		got, err := ParseSize(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestChecks(t *testing.T) {
	m := func(v ...float64) Measure { return Measure{Samples: v} }
	r := &Report{
		Size:         2 << 30,
		ChangedPages: 37,
		Raw:          Tool{Wall: m(0.2, 0.22, 0.21)},
		Procsnap: Capture{Tool: Tool{Frozen: m(0.2, 0.25, 0.19), Wall: m(2), Bytes: m(900), PeakRSS: m(300 << 20)},
			Changed: m(100 << 20)},
		Gcore:   Tool{Frozen: m(2), Wall: m(2)},
		Zstd:    Tool{Wall: m(1.7), Bytes: m(1000)},
		Big:     BigTarget{Size: 13 << 30, Procsnap: Capture{Tool: Tool{PeakRSS: m(400 << 20)}, Changed: m(100 << 20)}},
		Extract: Tool{Wall: m(0.01)},
		Diff:    Tool{Wall: m(0.2)},
		Verify:  Tool{Wall: m(1)},
		Full:    Tool{Wall: m(1)},
	}
	want := []struct{ ratio, met string }{
		{"0.952×", "yes"},        // 0.2 / 0.21
		{"10.0× shorter", "yes"}, // 2 / 0.2
		{"1.176×", "yes"},        // 2 / 1.7
		{"1.9× faster", "yes"},   // (2+1.7) / 2
		{"0.900×", "yes"},        // 900 / 1000
		{"—", "yes"},             // 300 MiB − 100 MiB changed
		{"—", "NO"},              // 400 MiB − 100 MiB changed
		{"100.0× faster", "yes"}, // 1 / 0.01
		{"5.0× faster", "NO"},    // 1 / 0.2
		{"1.0× faster", "—"},     // no target
	}
	got := r.Checks()
	if len(got) != len(want) {
		t.Fatalf("%d checks, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Ratio != w.ratio || got[i].Met != w.met {
			t.Errorf("%s: ratio %q met %q, want %q %q", got[i].Figure, got[i].Ratio, got[i].Met, w.ratio, w.met)
		}
	}
	if c := got[6]; !strings.Contains(c.Figure, "13.00 GiB target") || c.Value != "300.0 MiB" {
		t.Errorf("big target's RSS check: %q = %q, want the 13.00 GiB target at 300.0 MiB", c.Figure, c.Value)
	}
	r.Verify.Wall = m(2)
	if c := r.Checks()[9]; c.Ratio != "2.0× slower" {
		t.Errorf("verify twice as slow as the reference: ratio %q, want 2.0× slower", c.Ratio)
	}
	r.Gcore.Frozen = Measure{Skipped: "gcore not installed"}
	if c := r.Checks()[1]; c.Met != "n/a" || c.Ratio != "—" {
		t.Errorf("without gcore: ratio %q met %q, want — n/a", c.Ratio, c.Met)
	}
	r.Big = BigTarget{Skipped: "not asked for"}
	r.Big.Procsnap.PeakRSS = Measure{Skipped: "not asked for"}
	if c := r.Checks()[6]; c.Met != "n/a" || c.Value != "skipped" {
		t.Errorf("without a big target: value %q met %q, want skipped n/a", c.Value, c.Met)
	}
}

func TestTableRoundTrip(t *testing.T) {
	rows := [][]string{{"a", "b"}, {"µs ≤ 1.2×", "x"}, {"", "—"}}
	got := ParseTable("text\n\n" + markdownTable(rows) + "\n| other | table |\n")
	if len(got) != len(rows) {
		t.Fatalf("ParseTable gave %q, want %q", got, rows)
	}
	for i := range rows {
		for j := range rows[i] {
			if got[i][j] != rows[i][j] {
				t.Errorf("cell %d,%d = %q, want %q", i, j, got[i][j], rows[i][j])
			}
		}
	}
}

func TestFigureCells(t *testing.T) {
	for _, c := range []string{
		(Measure{Samples: []float64{0.25}}).cell(seconds),
		(Measure{Samples: []float64{0.25, 0.3, 1.5}}).cell(seconds),
		(Measure{Samples: []float64{3 << 30}}).cell(bytesIEC),
		(Measure{Samples: []float64{-5 << 20, 7 << 20}}).cell(bytesIEC),
		(Measure{Samples: []float64{0.0004}}).cell(seconds),
	} {
		if !figure.MatchString(c) {
			t.Errorf("cell %q does not read as a figure", c)
		}
	}
}
