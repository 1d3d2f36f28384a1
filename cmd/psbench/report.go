package main

import (
	"time"
)

// Tool is what one tool did with the target, run by run.
type Tool struct {
	Frozen  Measure `json:"frozen_s"`       // longest stall the target's monitor saw (capture tools only)
	Wall    Measure `json:"wall_s"`         // start to exit of the process; the copy itself for the raw copy
	Bytes   Measure `json:"output_bytes"`   // what it wrote (or copied)
	PeakRSS Measure `json:"peak_rss_bytes"` // wait4 ru_maxrss of the process and the children it waited for
}

// Capture is procsnap capture, run by run: the Tool figures, and what
// procsnap recorded about itself in the archive's end record.
type Capture struct {
	Tool
	SelfFrozen Measure `json:"self_frozen_s"` // frozen_ns: first task stopped to last detached
	Precopied  Measure `json:"precopy_bytes"` // read while the target ran
	Reread     Measure `json:"reread_bytes"`  // read again under the freeze
	Changed    Measure `json:"changed_bytes"` // of those, changed since the pre-copy: kept and stored
}

// BigTarget is a target larger than half of the machine's memory, captured
// once by procsnap (and by gcore and zstd when asked).
type BigTarget struct {
	Size     int64   `json:"size_bytes"`
	Skipped  string  `json:"skipped,omitempty"` // not measured, and why
	Readable int64   `json:"readable_bytes"`
	Noise    Measure `json:"monitor_noise_s"`
	Procsnap Capture `json:"procsnap_capture"`
	Gcore    Tool    `json:"gcore"`
	Zstd     Tool    `json:"zstd_of_core"`
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
	Churn        int       `json:"churn_pages_per_ms"` // pages the target rewrites per millisecond while captured
	ChangedPages int       `json:"changed_pages"`
	Readable     int64     `json:"readable_bytes"` // all of the target's readable memory
	Regions      int       `json:"readable_regions"`
	Noise        Measure   `json:"monitor_noise_s"` // the monitor's longest stall with nobody freezing it

	Raw           Tool      `json:"raw_copy"`
	RawUnreadable int64     `json:"raw_unreadable_bytes"`
	Procsnap      Capture   `json:"procsnap_capture"`       // the default, --freeze=precopy
	Whole         Capture   `json:"procsnap_capture_whole"` // --freeze=whole
	Gcore         Tool      `json:"gcore"`
	Zstd          Tool      `json:"zstd_of_core"`
	Extract       Tool      `json:"extract_page"`
	Verify        Tool      `json:"verify"`
	Diff          Tool      `json:"diff"`
	Full          Tool      `json:"full_decompression"`
	Big           BigTarget `json:"big_target"`

	Notes []string `json:"notes,omitempty"`
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
	capture := func(name string, c Capture) namedTool {
		t := tool(name, c.Tool)
		t.ms = append(t.ms, c.SelfFrozen, c.Precopied, c.Reread, c.Changed)
		return t
	}
	return []namedTool{
		tool("raw copy", r.Raw), capture("procsnap capture", r.Procsnap),
		capture("procsnap capture --freeze=whole", r.Whole), tool("gcore", r.Gcore),
		tool("zstd", r.Zstd), tool("extract", r.Extract), tool("verify", r.Verify),
		tool("diff", r.Diff), tool("full decompression", r.Full),
		capture("procsnap capture, big target", r.Big.Procsnap), tool("gcore, big target", r.Big.Gcore),
		tool("zstd, big target", r.Big.Zstd),
	}
}
