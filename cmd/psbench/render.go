package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ChecksTable is the targets table in Markdown, columns padded so that it
// reads as plain text too.
func (r *Report) ChecksTable() string {
	rows := [][]string{{"figure", "procsnap", "reference", "ratio", "target", "met"}}
	for _, c := range r.Checks() {
		rows = append(rows, []string{c.Figure, c.Value, c.Reference, c.Ratio, c.Target, c.Met})
	}
	return markdownTable(rows)
}

// FiguresTable is every measured figure: the median over the runs, with
// the lowest and highest in parentheses.
func (r *Report) FiguresTable() string {
	rows := [][]string{{"what", "frozen, as the target measured it", "wall", "output", "peak RSS", "changed (end record)"}}
	add := func(name string, t Tool, changed Measure) {
		rows = append(rows, []string{name, t.Frozen.cell(seconds), t.Wall.cell(seconds), t.Bytes.cell(bytesIEC),
			t.PeakRSS.cell(bytesIEC), changed.cell(bytesIEC)})
	}
	var none Measure
	add("raw copy (the limit): process_vm_readv, 2 goroutines, 8 MiB pieces", r.Raw, none)
	add("procsnap capture (--freeze=precopy, the default)", r.Procsnap.Tool, r.Procsnap.Changed)
	add("procsnap capture --freeze=whole", r.Whole.Tool, none)
	add("gcore", r.Gcore, none)
	add("zstd -1 -T2 of gcore's core", r.Zstd, none)
	add("gcore + zstd", Tool{Wall: sumOf(r.Gcore.Wall, r.Zstd.Wall), Bytes: r.Zstd.Bytes}, none)
	big := r.bigName()
	add("procsnap capture, "+big, r.Big.Procsnap.Tool, r.Big.Procsnap.Changed)
	if r.Big.Gcore.Wall.Skipped == "" {
		add("gcore, "+big, r.Big.Gcore, none)
		add("zstd -1 -T2 of gcore's core, "+big, r.Big.Zstd, none)
	}
	add("procsnap extract, one page", r.Extract, none)
	add("procsnap verify", r.Verify, none)
	add(fmt.Sprintf("procsnap diff, %d changed pages", r.ChangedPages), r.Diff, none)
	add("full decompression (format.Reader.ReadRange, every region)", r.Full, none)
	return markdownTable(rows)
}

// bigName is "13.00 GiB target", or "big target" when it has no size.
func (r *Report) bigName() string {
	if r.Big.Size <= 0 {
		return "big target"
	}
	return bytesIEC(float64(r.Big.Size)) + " target"
}

// FigureNotes are the figures that do not fit the tables.
func (r *Report) FigureNotes() []string {
	notes := []string{
		fmt.Sprintf("target: a %s region of mixed pages (1/3 zero, 1/3 text, 1/3 random, interleaved, all resident); %s readable in %d regions in all",
			bytesIEC(float64(r.Size)), bytesIEC(float64(r.Readable)), r.Regions),
		fmt.Sprintf("while the runs capture it the target rewrites %d pages per millisecond (8 bytes of a random text or random page each), so that pages change during every capture; it holds still for the offline verbs", r.Churn),
		fmt.Sprintf("runs: %d; a cell is the median (lowest–highest) when the runs differ", r.Runs),
		"procsnap's end record, default mode: " + r.Procsnap.selfFigures(),
		"procsnap's end record, --freeze=whole: frozen " + r.Whole.SelfFrozen.cell(seconds) + ", read under the freeze " + r.Whole.Reread.cell(bytesIEC),
		"the monitor's longest stall over 0.25 s with nobody freezing the target (its noise floor): " + r.Noise.cell(seconds),
	}
	if r.RawUnreadable > 0 {
		notes = append(notes, fmt.Sprintf("raw copy: %s of readable-looking memory could not be read and was skipped", bytesIEC(float64(r.RawUnreadable))))
	}
	return append(append(notes, r.bigNotes()...), r.Notes...)
}

// selfFigures is what procsnap recorded about its captures.
func (c Capture) selfFigures() string {
	return fmt.Sprintf("frozen %s; read while the target ran %s, read under the freeze %s, changed %s",
		c.SelfFrozen.cell(seconds), c.Precopied.cell(bytesIEC), c.Reread.cell(bytesIEC), c.Changed.cell(bytesIEC))
}

// bigNotes describe the big target, or why it was skipped.
func (r *Report) bigNotes() []string {
	g := r.Big
	if g.Skipped != "" {
		return []string{"big target skipped: " + g.Skipped}
	}
	return []string{
		fmt.Sprintf("big target: a %s region of the same mix, %s readable, %.0f%% of the machine's %s; captured once, churning like the other; "+
			"no raw copy (its buffer would not fit beside it)", bytesIEC(float64(g.Size)), bytesIEC(float64(g.Readable)),
			100*float64(g.Readable)/float64(max(r.Machine.MemTotal, 1)), bytesIEC(float64(r.Machine.MemTotal))),
		"procsnap's end record, " + r.bigName() + ": " + g.Procsnap.selfFigures() + "; the monitor's noise floor: " + g.Noise.cell(seconds),
	}
}

// Text is what psbench prints: both tables and the notes.
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "procsnap bench, %s target (%s) and %s, %s, %d cores, load %s at start, %s at end\n\n",
		bytesIEC(float64(r.Size)), runsPhrase(r.Runs), r.bigName(), r.Machine.CPU, r.Machine.Cores, r.Machine.LoadStart, r.Machine.LoadEnd)
	b.WriteString(r.ChecksTable())
	b.WriteString("\n")
	b.WriteString(r.FiguresTable())
	b.WriteString("\n")
	for _, n := range r.FigureNotes() {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return b.String()
}

func markdownTable(rows [][]string) string {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for i, c := range cells {
			fmt.Fprintf(&b, " %s%s |", c, strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
		}
		b.WriteString("\n")
	}
	line(rows[0])
	rule := make([]string, len(width))
	for i, w := range width {
		rule[i] = strings.Repeat("-", w)
	}
	line(rule)
	for _, row := range rows[1:] {
		line(row)
	}
	return b.String()
}

// ParseTable reads the first Markdown table in s back into its rows, header
// first, cells trimmed, the rule line left out.
func ParseTable(s string) [][]string {
	var rows [][]string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "|") || !strings.HasSuffix(l, "|") || len(l) < 2 {
			if len(rows) > 0 {
				break
			}
			continue
		}
		if strings.Trim(l, "|- ") == "" {
			continue
		}
		cells := strings.Split(l[1:len(l)-1], "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, cells)
	}
	return rows
}
