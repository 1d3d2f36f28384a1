package main

import "fmt"

// Check is one target (of issue 14, or of issue 8 for the offline verbs)
// and whether it was met.
type Check struct {
	Figure    string `json:"figure"`
	Value     string `json:"value"`
	Reference string `json:"reference"`
	Ratio     string `json:"ratio"`
	Target    string `json:"target"`
	Met       string `json:"met"` // "yes", "NO", "n/a" (a figure is missing) or "—" (no target)
}

// rssLimit is the target on procsnap's peak RSS beyond the pages it keeps
// under the freeze: it needs memory for the changed pages only.
const rssLimit = 256 << 20

// rssBeyond is a capture's peak RSS minus the bytes it found changed
// (archive end record), run by run.
func rssBeyond(c Capture) Measure {
	m, ch := c.PeakRSS, c.Changed
	switch {
	case !m.OK():
		return m
	case !ch.OK():
		return Measure{Err: "changed bytes unknown: " + ch.Err}
	case len(m.Samples) != len(ch.Samples):
		return Measure{Err: "unequal run counts"}
	}
	var out Measure
	for i, v := range m.Samples {
		out.add(v - ch.Samples[i])
	}
	return out
}

// rssCheck is the peak RSS target for one target.
func rssCheck(target string, c Capture) Check {
	return limitCheck("peak RSS beyond the changed pages, "+target, rssBeyond(c),
		fmt.Sprintf("RSS %s − changed %s", c.PeakRSS.cell(bytesIEC), c.Changed.cell(bytesIEC)), rssLimit)
}

// Checks evaluates the targets of issue 14 (and the offline verbs'
// targets of issue 8) on the medians.
func (r *Report) Checks() []Check {
	ps, g, z := r.Procsnap, r.Gcore, r.Zstd
	return []Check{
		ratio{"frozen (as the target measured it) vs raw copy", ps.Frozen, "raw copy", r.Raw.Wall, seconds, "", 1}.check(),
		ratio{"frozen vs gcore's frozen", ps.Frozen, "gcore", g.Frozen, seconds, "shorter", 5}.check(),
		ratio{"wall vs zstd -1 -T2 of the same bytes", ps.Wall, "zstd", z.Wall, seconds, "", 1.25}.check(),
		ratio{"wall vs gcore + zstd -1 -T2", ps.Wall, "gcore + zstd", sumOf(g.Wall, z.Wall), seconds, "faster", 1.8}.check(),
		ratio{"archive (superseded pages included) vs zstd -1 of gcore's core", ps.Bytes, "zstd -1", z.Bytes, bytesIEC, "", 1}.check(),
		rssCheck(bytesIEC(float64(r.Size))+" target", ps),
		rssCheck(r.bigName(), r.Big.Procsnap),
		ratio{"extract one page vs full decompression", r.Extract.Wall, "full", r.Full.Wall, seconds, "faster", 50}.check(),
		ratio{fmt.Sprintf("diff, %d changed pages, vs full decompression", r.ChangedPages), r.Diff.Wall,
			"full", r.Full.Wall, seconds, "faster", 10}.check(),
		ratio{"verify vs full decompression", r.Verify.Wall, "full", r.Full.Wall, seconds, "faster", 0}.check(),
	}
}

// ratio compares a figure v with a reference. With a word ("shorter",
// "faster") the ratio is ref/v and must be at least bound; without one it
// is v/ref and must be at most bound. A bound of 0 means no target.
type ratio struct {
	name    string
	v       Measure
	refName string
	ref     Measure
	unit    func(float64) string
	word    string
	bound   float64
}

func (q ratio) check() Check {
	c := Check{Figure: q.name, Value: q.v.cell(q.unit), Reference: q.refName + " " + q.ref.cell(q.unit),
		Ratio: "—", Target: "—", Met: "—"}
	if q.bound > 0 {
		c.Met = "n/a"
		c.Target = fmt.Sprintf("≤ %g×", q.bound)
		if q.word != "" {
			c.Target = fmt.Sprintf("≥ %g× %s", q.bound, q.word)
		}
	}
	v, ref := q.v.Median(), q.ref.Median()
	if !q.v.OK() || !q.ref.OK() || v <= 0 || ref <= 0 {
		return c
	}
	ok := v/ref <= q.bound
	c.Ratio = fmt.Sprintf("%.3f×", v/ref) // three decimals: 1.202× must not read as 1.20× ≤ 1.2×
	if q.word != "" {
		ok = ref/v >= q.bound
		c.Ratio = fmt.Sprintf("%.1f× %s", ref/v, q.word)
		if ref < v {
			c.Ratio = fmt.Sprintf("%.1f× %s", v/ref, map[string]string{"shorter": "longer", "faster": "slower"}[q.word])
		}
	}
	if q.bound > 0 {
		c.Met = metWord(ok)
	}
	return c
}

func limitCheck(name string, v Measure, ref string, limit float64) Check {
	c := Check{Figure: name, Value: v.cell(bytesIEC), Reference: ref, Ratio: "—",
		Target: "≤ " + bytesIEC(limit), Met: "n/a"}
	if v.OK() {
		c.Met = metWord(v.Median() <= limit)
	}
	return c
}

func metWord(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// sumOf adds two figures run by run (both must have the same runs).
func sumOf(a, b Measure) Measure {
	switch {
	case !a.OK():
		return a
	case !b.OK():
		return b
	case len(a.Samples) != len(b.Samples):
		return Measure{Err: "unequal run counts"}
	}
	var m Measure
	for i := range a.Samples {
		m.add(a.Samples[i] + b.Samples[i])
	}
	return m
}
