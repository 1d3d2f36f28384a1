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
	rows := [][]string{{"what", "frozen, as the target measured it", "wall", "output", "peak RSS"}}
	add := func(name string, t Tool) {
		rows = append(rows, []string{name, t.Frozen.cell(seconds), t.Wall.cell(seconds), t.Bytes.cell(bytesIEC), t.PeakRSS.cell(bytesIEC)})
	}
	add("raw copy (the limit): process_vm_readv, 2 goroutines, 8 MiB pieces", r.Raw)
	add("procsnap capture", r.Procsnap)
	add("gcore", r.Gcore)
	add("zstd -1 -T2 of gcore's core", r.Zstd)
	add("gcore + zstd", Tool{Wall: sumOf(r.Gcore.Wall, r.Zstd.Wall), Bytes: r.Zstd.Bytes})
	add("procsnap extract, one page", r.Extract)
	add("procsnap verify", r.Verify)
	add(fmt.Sprintf("procsnap diff, %d changed pages", r.ChangedPages), r.Diff)
	add("full decompression (format.Reader.ReadRange, every region)", r.Full)
	return markdownTable(rows)
}

// FigureNotes are the figures that do not fit the tables.
func (r *Report) FigureNotes() []string {
	notes := []string{
		fmt.Sprintf("target: a %s region of mixed pages (1/3 zero, 1/3 text, 1/3 random, interleaved, all resident); %s readable in %d regions in all",
			bytesIEC(float64(r.Size)), bytesIEC(float64(r.Readable)), r.Regions),
		fmt.Sprintf("runs: %d; a cell is the median (lowest–highest) when the runs differ", r.Runs),
		"procsnap's own frozen figure (archive end record): " + r.SelfFrozen.cell(seconds),
		fmt.Sprintf("procsnap's copy buffer: %s (%s)", bytesIEC(float64(r.Buffer)), r.BufferSource),
		"the monitor's longest stall over 0.25 s with nobody freezing the target (its noise floor): " + r.Noise.cell(seconds),
	}
	if r.RawUnreadable > 0 {
		notes = append(notes, fmt.Sprintf("raw copy: %s of readable-looking memory could not be read and was skipped", bytesIEC(float64(r.RawUnreadable))))
	}
	return append(notes, r.Notes...)
}

// Text is what psbench prints: both tables and the notes.
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "procsnap bench, %s target, %s, %s, %d cores, load %s at start, %s at end\n\n",
		bytesIEC(float64(r.Size)), runsPhrase(r.Runs), r.Machine.CPU, r.Machine.Cores, r.Machine.LoadStart, r.Machine.LoadEnd)
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
