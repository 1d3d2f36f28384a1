package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/procsnap/procsnap/format"
	"github.com/spf13/pflag"
)

const listUsage = `Usage: procsnap list [--json] [--path TEXT] [--perms LETTERS] [--state STATES] ARCHIVE

List the archive's regions in maps order: the maps columns (address range,
perms, offset, device, inode, path; "-" for anonymous memory) with each
region's size, the bytes captured (data and zero pages), zero and unreadable
bytes, and its state: complete, partial (some pages not captured), skipped
(not captured by plan, with the reason) or truncated (the archive ends
before the region's footer). Notes after the table give the reasons and the
unreadable ranges, with the errno of the failed read.

Filters (a region is listed when it passes every one given; its index stays
the archive's, as extract --region takes it):
  --path TEXT       the path contains TEXT: case-sensitive, anywhere in the
                    path exactly as maps printed it (" (deleted)" included);
                    anonymous regions have no path and never match
  --perms LETTERS   the perms column has every letter: rw (read and write),
                    x (executable), s (shared), p (private)
  --state STATES    one state or several, comma-separated: partial,truncated

With --json: {"regions": [...]}, one object per region listed; on failure
{"error": {"message", "kind"}, "exit": N}.

Exit codes: 0 listed (also when no region passes the filters), 1 the archive
cannot be read, 2 usage, 130/143 interrupted by SIGINT/SIGTERM.
`

type listOpts struct {
	json                bool
	path, perms, states string
	keys                archiveKeys
}

func listFlags(o *listOpts, stdout io.Writer) *pflag.FlagSet {
	fs := newFlagSet("list", listUsage, stdout)
	fs.BoolVar(&o.json, "json", false, "JSON output")
	fs.StringVar(&o.path, "path", "", "only regions whose path contains `TEXT`")
	fs.StringVar(&o.perms, "perms", "", "only regions whose perms have every one of `LETTERS` (e.g. rw, x)")
	fs.StringVar(&o.states, "state", "", "only regions in one of `STATES` (complete, partial, skipped, truncated)")
	o.keys.flag(fs)
	return fs
}

func runList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o listOpts
	fs := listFlags(&o, stdout)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	filter, err := newListFilter(o.path, fs.Changed("path"), o.perms, o.states)
	if err != nil {
		return err
	}
	if done, err := setSummary(fs.Arg(0), o.json, stdout); done {
		return err // a capture set: its manifest, one process a line
	}
	if err := o.keys.load(); err != nil {
		return err
	}
	r, err := openArchiveOrStream(fs.Arg(0), "list", &o.keys, stderr)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := interrupted(ctx); err != nil {
		return err
	}
	rows := make([]listRegion, 0, len(r.Regions()))
	for _, g := range r.Regions() {
		if filter.match(g) {
			rows = append(rows, newListRegion(r, g))
		}
	}
	if len(rows) == 0 && len(r.Regions()) > 0 {
		fmt.Fprintf(stderr, "procsnap list: no region passes the filters (the archive has %s)\n", plural(len(r.Regions()), "region"))
	}
	if o.json {
		return writeJSON(stdout, struct {
			Regions []listRegion `json:"regions"`
		}{rows})
	}
	return printList(stdout, rows)
}

// listRegion is one row of list: the JSON shape documented in docs/CLI.md.
type listRegion struct {
	Index            int         `json:"index"`
	Start            string      `json:"start"`
	End              string      `json:"end"`
	Perms            string      `json:"perms"`
	Offset           string      `json:"offset"`
	Dev              string      `json:"dev"`
	Inode            uint64      `json:"inode"`
	Path             string      `json:"path"`
	MapsLine         string      `json:"maps_line"`
	State            string      `json:"state"`
	Skip             string      `json:"skip,omitempty"`
	Message          string      `json:"message,omitempty"`
	Method           string      `json:"method"`
	Size             uint64      `json:"size"`
	CapturedBytes    uint64      `json:"captured_bytes"`
	DataBytes        uint64      `json:"data_bytes"`
	ZeroBytes        uint64      `json:"zero_bytes"`
	UnreadableBytes  uint64      `json:"unreadable_bytes"`
	NotCapturedBytes uint64      `json:"not_captured_bytes"`
	Unreadable       []jsonRange `json:"unreadable"`
	XXH64            *string     `json:"xxh64"`

	desc format.RegionDesc
}

// jsonRange is an address range in JSON; Error names the errno of an
// unreadable range.
type jsonRange struct {
	Start string `json:"start"`
	End   string `json:"end"`
	Error string `json:"error,omitempty"`
	Errno uint32 `json:"errno,omitempty"`
}

func newListRegion(r *format.Reader, g *format.Region) listRegion {
	d := g.Desc
	c := countRegion(r, g)
	row := listRegion{
		Index: d.Index, Start: hexAddr(d.Start), End: hexAddr(d.End), Perms: d.Perms, Offset: hexAddr(d.Offset),
		Dev: fmt.Sprintf("%02x:%02x", d.DevMajor, d.DevMinor), Inode: d.Inode, Path: d.Path, MapsLine: d.MapsLine,
		State: g.State().String(), Skip: d.Skip, Method: format.MethodNone.String(), Size: d.Size(),
		CapturedBytes: c.data + c.zero, DataBytes: c.data, ZeroBytes: c.zero,
		UnreadableBytes: c.unreadable, NotCapturedBytes: c.notCaptured, Unreadable: []jsonRange{}, desc: d,
	}
	for _, u := range c.ranges {
		row.Unreadable = append(row.Unreadable, jsonRange{Start: hexAddr(u.Start), End: hexAddr(u.End), Error: errnoName(u.Errno), Errno: u.Errno})
	}
	if f := g.Footer; f != nil {
		h := fmt.Sprintf("%016x", f.Hash)
		row.XXH64, row.Message, row.Method = &h, f.Message, f.Method.String()
	}
	return row
}

func printList(w io.Writer, rows []listRegion) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "IDX\tSTART-END\tPERMS\tOFFSET\tDEV\tINODE\tSIZE\tCAPTURED\tZERO\tUNREADABLE\tSTATE\tPATH")
	for _, x := range rows {
		d := x.desc
		fmt.Fprintf(tw, "%d\t%x-%x\t%s\t%08x\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Index,
			d.Start, d.End, clean(d.Perms), d.Offset, x.Dev, d.Inode, human(x.Size), human(x.CapturedBytes),
			human(x.ZeroBytes), human(x.UnreadableBytes), x.State, pathText(d.Path))
	}
	tw.Flush() // writes to b: cannot fail
	printListNotes(&b, rows)
	_, err := w.Write(trimLines(b.Bytes()))
	return err
}

// maxHumanRanges bounds the ranges listed per region in human output; the
// JSON output lists them all.
const maxHumanRanges = 8

// printListNotes explains skipped, partial and unreadable regions.
func printListNotes(w io.Writer, rows []listRegion) {
	for _, x := range rows {
		if x.Skip != "" {
			fmt.Fprintf(w, "region %d: skipped: %s\n", x.Index, clean(x.Skip))
		}
		if x.Message != "" {
			fmt.Fprintf(w, "region %d: %s: %s\n", x.Index, x.State, clean(x.Message))
		}
		if x.State == format.RegionTruncated.String() {
			fmt.Fprintf(w, "region %d: truncated: the archive ends before its footer; counts are from the records found\n", x.Index)
		}
		if len(x.Unreadable) == 0 {
			continue
		}
		var parts []string
		for i, u := range x.Unreadable {
			if i == maxHumanRanges {
				parts = append(parts, fmt.Sprintf("and %d more (--json lists all)", len(x.Unreadable)-i))
				break
			}
			parts = append(parts, fmt.Sprintf("%s-%s %s", u.Start, u.End, u.Error))
		}
		fmt.Fprintf(w, "region %d: unreadable %s\n", x.Index, strings.Join(parts, ", "))
	}
}

// regionCount is what a region holds, in bytes.
type regionCount struct {
	data, zero, unreadable, notCaptured uint64
	ranges                              []format.Range // unreadable, merged
}

// countRegion takes a region's counts from its footer, or, for a region the
// archive was cut off in, from the records found (chunk headers only).
func countRegion(r *format.Reader, g *format.Region) regionCount {
	if f := g.Footer; f != nil {
		return regionCount{f.DataBytes, f.ZeroBytes, f.UnreadableBytes, f.NotCapturedBytes, f.Unreadable}
	}
	var c regionCount
	ps := uint64(r.PageSize())
	for _, s := range g.Spans() {
		n := s.End - s.Start
		switch {
		case s.IsChunk():
			c.countChunk(r, g, s, ps)
		case s.State == format.PageZero:
			c.zero += n
		case s.State == format.PageUnreadable:
			c.unreadable += n
			c.ranges = format.AppendRange(c.ranges, format.Range{Start: s.Start, End: s.End, Errno: s.Errno})
		default:
			c.notCaptured += n
		}
	}
	return c
}

// countChunk splits a chunk's pages into data and zero; a chunk whose
// header is damaged counts as data (verify reports the damage).
func (c *regionCount) countChunk(r *format.Reader, g *format.Region, s format.Span, ps uint64) {
	info, err := r.ChunkInfo(g, s)
	if err != nil {
		c.data += s.End - s.Start
		return
	}
	for _, st := range info.States {
		if st == format.PageZero {
			c.zero += ps
		} else {
			c.data += ps
		}
	}
}
