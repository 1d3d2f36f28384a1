package main

import (
	"fmt"
	"time"
)

// Tool is what one tool did with the target, run by run.
type Tool struct {
	Frozen  Measure `json:"frozen_s"`       // longest stall the target's monitor saw (capture tools only)
	Wall    Measure `json:"wall_s"`         // start to exit of the process; the copy itself for the raw copy
	Bytes   Measure `json:"output_bytes"`   // what it wrote (or copied)
	PeakRSS Measure `json:"peak_rss_bytes"` // wait4 ru_maxrss of the process and the children it waited for
}

// Machine describes where the figures were taken.
type Machine struct {
	CPU       string   `json:"cpu"`
	Cores     int      `json:"cores"`
	MemTotal  int64    `json:"mem_total_bytes"`
	Kernel    string   `json:"kernel"`
	LoadStart string   `json:"load_start"` // /proc/loadavg: 1, 5 and 15 minutes
	LoadEnd   string   `json:"load_end"`
	Tools     []string `json:"tools"` // "name: version"
}

// Report holds every figure of one bench run.
type Report struct {
	Date         time.Time `json:"date"`
	Machine      Machine   `json:"machine"`
	Size         int64     `json:"size_bytes"` // the target's mixed region
	Runs         int       `json:"runs"`
	ChangedPages int       `json:"changed_pages"`
	Readable     int64     `json:"readable_bytes"` // all of the target's readable memory
	Regions      int       `json:"readable_regions"`
	Noise        Measure   `json:"monitor_noise_s"` // the monitor's longest stall with nobody freezing it

	Raw           Tool    `json:"raw_copy"`
	RawUnreadable int64   `json:"raw_unreadable_bytes"`
	Procsnap      Tool    `json:"procsnap_capture"`
	SelfFrozen    Measure `json:"procsnap_self_frozen_s"` // procsnap's own figure, from the archive's end record
	Buffer        int64   `json:"procsnap_buffer_bytes"`
	BufferSource  string  `json:"procsnap_buffer_source"`
	Gcore         Tool    `json:"gcore"`
	Zstd          Tool    `json:"zstd_of_core"`
	Extract       Tool    `json:"extract_page"`
	Verify        Tool    `json:"verify"`
	Diff          Tool    `json:"diff"`
	Full          Tool    `json:"full_decompression"`

	Notes []string `json:"notes,omitempty"`
}

// Check is one target of issue 8 and whether it was met.
type Check struct {
	Figure    string `json:"figure"`
	Value     string `json:"value"`
	Reference string `json:"reference"`
	Ratio     string `json:"ratio"`
	Target    string `json:"target"`
	Met       string `json:"met"` // "yes", "NO", "n/a" (a figure is missing) or "—" (no target)
}

// rssBeyond is procsnap's peak RSS minus its copy buffer, run by run.
func (r *Report) rssBeyond() Measure {
	m := r.Procsnap.PeakRSS
	if r.Buffer == 0 && m.OK() {
		return Measure{Err: "copy buffer size unknown"}
	}
	out := Measure{Err: m.Err, Skipped: m.Skipped}
	for _, v := range m.Samples {
		out.add(v - float64(r.Buffer))
	}
	return out
}

// Checks evaluates the targets on the medians.
func (r *Report) Checks() []Check {
	ps, g, z := r.Procsnap, r.Gcore, r.Zstd
	rss := r.rssBeyond()
	return []Check{
		ratio{"frozen (as the target measured it) vs raw copy", ps.Frozen, "raw copy", r.Raw.Wall, seconds, "", 1.2}.check(),
		ratio{"frozen vs gcore's frozen", ps.Frozen, "gcore", g.Frozen, seconds, "shorter", 8}.check(),
		ratio{"wall vs gcore + zstd -1 -T2", ps.Wall, "gcore + zstd", sumOf(g.Wall, z.Wall), seconds, "shorter", 2.2}.check(),
		ratio{"archive vs zstd -1 of gcore's core", ps.Bytes, "zstd -1", z.Bytes, bytesIEC, "", 1}.check(),
		limitCheck("peak RSS beyond the copy buffer", rss,
			fmt.Sprintf("RSS %s − buffer %s", r.Procsnap.PeakRSS.cell(bytesIEC), bytesIEC(float64(r.Buffer))), 100<<20),
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

// Failures lists every figure that failed, as "figure: error".
func (r *Report) Failures() []string {
	var out []string
	for _, f := range r.figures() {
		for _, m := range f.ms {
			if m.Err != "" {
				out = append(out, f.name+": "+m.Err)
				break
			}
		}
	}
	return out
}

type namedTool struct {
	name string
	ms   []Measure
}

func (r *Report) figures() []namedTool {
	tool := func(name string, t Tool) namedTool {
		return namedTool{name, []Measure{t.Frozen, t.Wall, t.Bytes, t.PeakRSS}}
	}
	return []namedTool{
		tool("raw copy", r.Raw), tool("procsnap capture", r.Procsnap), tool("gcore", r.Gcore),
		tool("zstd", r.Zstd), tool("extract", r.Extract), tool("verify", r.Verify),
		tool("diff", r.Diff), tool("full decompression", r.Full),
	}
}
