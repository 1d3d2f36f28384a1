package main

import (
	"regexp"
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
		ChangedPages: 37,
		Raw:          Tool{Wall: m(0.2, 0.22, 0.21)},
		Procsnap:     Tool{Frozen: m(0.25, 0.3, 0.24), Wall: m(1), Bytes: m(900), PeakRSS: m(1000 + 50<<20)},
		Buffer:       1000,
		Gcore:        Tool{Frozen: m(2), Wall: m(2)},
		Zstd:         Tool{Wall: m(1), Bytes: m(1000)},
		Extract:      Tool{Wall: m(0.01)},
		Diff:         Tool{Wall: m(0.2)},
		Verify:       Tool{Wall: m(1)},
		Full:         Tool{Wall: m(1)},
	}
	want := []struct{ ratio, met string }{
		{"1.190×", "yes"},        // 0.25 / 0.21
		{"8.0× shorter", "yes"},  // 2 / 0.25
		{"3.0× shorter", "yes"},  // (2+1) / 1
		{"0.900×", "yes"},        // 900 / 1000
		{"—", "yes"},             // 50 MiB beyond the buffer
		{"100.0× faster", "yes"}, // 1 / 0.01
		{"5.0× faster", "NO"},    // 1 / 0.2
		{"1.0× faster", "—"},     // no target
	}
	got := r.Checks()
	for i, w := range want {
		if got[i].Ratio != w.ratio || got[i].Met != w.met {
			t.Errorf("%s: ratio %q met %q, want %q %q", got[i].Figure, got[i].Ratio, got[i].Met, w.ratio, w.met)
		}
	}
	r.Verify.Wall = m(2)
	if c := r.Checks()[7]; c.Ratio != "2.0× slower" {
		t.Errorf("verify twice as slow as the reference: ratio %q, want 2.0× slower", c.Ratio)
	}
	r.Gcore.Frozen = Measure{Skipped: "gcore not installed"}
	if c := r.Checks()[1]; c.Met != "n/a" || c.Ratio != "—" {
		t.Errorf("without gcore: ratio %q met %q, want — n/a", c.Ratio, c.Met)
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
