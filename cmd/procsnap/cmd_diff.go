package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/snapshot/diff"
	"github.com/spf13/pflag"
)

const diffUsage = `Usage: procsnap diff [--json] [--strict] OLD NEW

Compare two snapshots of a process page by page. Regions are matched by start
address and reported as unchanged, changed (content, page states, size, perms,
path or mapping), added or removed. For a changed region the changed address
ranges are listed at page granularity, merged into maximal runs.

Only chunk headers are read: pages whose stored hashes are equal are taken as
equal without being decompressed. --strict also compares the bytes of those
pages (slower: both archives are decompressed and every page hash checked).
Unreadable and not-captured pages have no contents to compare: a change of
state (or of errno) counts as a change, two such pages in one state do not.

With --json: {"summary": {"unchanged", "changed", "added", "removed",
"changed_pages", "page_size", "strict"}, "regions": [{"status", "start", "end",
"perms", "path", "reasons", "changed": [{"start", "end"}], ...}]}; on trouble
{"error": {"message", "kind"}, "exit": 2}.

Exit codes (as diff(1)): 0 no differences, 1 differences, 2 trouble (usage, an
unreadable or damaged archive).
`

type diffOpts struct {
	json, strict bool
	keys         archiveKeys
}

func diffFlags(o *diffOpts, stdout io.Writer) *pflag.FlagSet {
	fs := newFlagSet("diff", diffUsage, stdout)
	fs.BoolVar(&o.json, "json", false, "JSON output")
	fs.BoolVar(&o.strict, "strict", false, "also compare the bytes of pages whose hashes are equal")
	o.keys.flag(fs)
	return fs
}

func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o diffOpts
	fs := diffFlags(&o, stdout)
	if err := parseFlags(fs, args, 2); err != nil {
		return err
	}
	trouble := func(err error) error { return &codeError{code: exitTrouble, err: err} }
	if err := o.keys.load(); err != nil {
		return trouble(err)
	}
	older, err := openArchive(fs.Arg(0), &o.keys)
	if err != nil {
		return trouble(fmt.Errorf("OLD: %w", err))
	}
	defer older.Close()
	newer, err := openArchive(fs.Arg(1), &o.keys)
	if err != nil {
		return trouble(fmt.Errorf("NEW: %w", err))
	}
	defer newer.Close()
	res, err := diff.Compare(ctx, older, newer, diff.Options{Strict: o.strict})
	if err != nil {
		return trouble(diffError(err, fs.Arg(0), fs.Arg(1)))
	}
	warnDiffInputs(stderr, fs.Arg(0), fs.Arg(1), older, newer)
	if o.json {
		err = writeJSON(stdout, newDiffReport(res, o.strict))
	} else {
		var b bytes.Buffer
		printDiff(&b, res)
		_, err = stdout.Write(b.Bytes())
	}
	if err != nil {
		return trouble(err)
	}
	if res.Differs() {
		return &codeError{code: exitDifferent}
	}
	return nil
}

func diffError(err error, oldPath, newPath string) error {
	var ce *format.CorruptError
	if errors.As(err, &ce) {
		return fmt.Errorf("%w (run 'procsnap verify' on %s and %s; without --strict only chunk headers are read)", err, oldPath, newPath)
	}
	return err
}

// warnDiffInputs notes on stderr what makes a comparison less meaningful:
// two different processes, or an archive that is incomplete.
func warnDiffInputs(w io.Writer, oldPath, newPath string, older, newer *format.Reader) {
	if a, b := older.Meta(), newer.Meta(); a != nil && b != nil && a.PID != b.PID {
		fmt.Fprintf(w, "procsnap diff: note: the snapshots are of different processes (pid %d and %d)\n", a.PID, b.PID)
	}
	for _, x := range []struct {
		path string
		r    *format.Reader
	}{{oldPath, older}, {newPath, newer}} {
		if !x.r.Complete() {
			fmt.Fprintf(w, "procsnap diff: note: %s is incomplete (%s): pages it lacks compare as not captured\n",
				clean(x.path), clean(incompleteReason(x.r)))
		}
	}
}

// diffReport is diff's JSON shape, documented in docs/CLI.md.
type diffReport struct {
	Summary diffSummary  `json:"summary"`
	Regions []diffRegion `json:"regions"`
}

type diffSummary struct {
	Unchanged    int    `json:"unchanged"`
	Changed      int    `json:"changed"`
	Added        int    `json:"added"`
	Removed      int    `json:"removed"`
	ChangedPages uint64 `json:"changed_pages"`
	PageSize     int    `json:"page_size"`
	Strict       bool   `json:"strict"`
}

// diffRegion describes a region by its new descriptor (the old one when
// removed); the old_* fields are set where the old descriptor differs.
type diffRegion struct {
	Status       string      `json:"status"`
	Start        string      `json:"start"`
	End          string      `json:"end"`
	Perms        string      `json:"perms"`
	Path         string      `json:"path"`
	Reasons      []string    `json:"reasons"`
	Changed      []jsonRange `json:"changed"`
	ChangedPages uint64      `json:"changed_pages"`
	OldIndex     *int        `json:"old_index"`
	NewIndex     *int        `json:"new_index"`
	OldEnd       string      `json:"old_end,omitempty"`
	OldPerms     string      `json:"old_perms,omitempty"`
	OldPath      *string     `json:"old_path,omitempty"`
}

func newDiffReport(res *diff.Result, strict bool) *diffReport {
	out := &diffReport{
		Summary: diffSummary{res.Unchanged, res.Changed, res.Added, res.Removed, res.ChangedPages, res.PageSize, strict},
		Regions: make([]diffRegion, 0, len(res.Regions)),
	}
	for _, g := range res.Regions {
		d := g.Desc()
		x := diffRegion{Status: g.Status.String(), Start: hexAddr(d.Start), End: hexAddr(d.End), Perms: d.Perms, Path: d.Path,
			Reasons: append([]string{}, g.Changes.Names()...), Changed: []jsonRange{}, ChangedPages: g.Pages}
		for _, c := range g.Ranges {
			x.Changed = append(x.Changed, jsonRange{Start: hexAddr(c.Start), End: hexAddr(c.End)})
		}
		if g.Old != nil {
			x.OldIndex = &g.Old.Index
		}
		if g.New != nil {
			x.NewIndex = &g.New.Index
		}
		if g.Old != nil && g.New != nil {
			if g.Old.End != g.New.End {
				x.OldEnd = hexAddr(g.Old.End)
			}
			if g.Old.Perms != g.New.Perms {
				x.OldPerms = g.Old.Perms
			}
			if g.Old.Path != g.New.Path {
				x.OldPath = &g.Old.Path
			}
		}
		out.Regions = append(out.Regions, x)
	}
	return out
}

// maxHumanDiffRanges bounds the changed ranges shown per region; --json
// lists them all.
const maxHumanDiffRanges = 16

func printDiff(w io.Writer, res *diff.Result) {
	if !res.Differs() {
		fmt.Fprintf(w, "no differences (%d regions unchanged)\n", res.Unchanged)
		return
	}
	for i := range res.Regions {
		printDiffRegion(w, &res.Regions[i], uint64(res.PageSize))
	}
	fmt.Fprintf(w, "summary: %d unchanged, %d changed (%d pages), %d added, %d removed\n",
		res.Unchanged, res.Changed, res.ChangedPages, res.Added, res.Removed)
}

func printDiffRegion(w io.Writer, g *diff.Region, ps uint64) {
	if g.Status == diff.Unchanged {
		return
	}
	d := g.Desc()
	fmt.Fprintf(w, "%-8s %#x-%#x %s %s\n", g.Status, d.Start, d.End, clean(d.Perms), pathText(d.Path))
	if g.Status != diff.Changed {
		return
	}
	o := g.Old
	if g.Changes&diff.ChangePerms != 0 {
		fmt.Fprintf(w, "         perms %s -> %s\n", clean(o.Perms), clean(d.Perms))
	}
	if g.Changes&diff.ChangeSize != 0 {
		fmt.Fprintf(w, "         size %s -> %s (end %#x -> %#x)\n", human(o.Size()), human(d.Size()), o.End, d.End)
	}
	if g.Changes&diff.ChangePath != 0 {
		fmt.Fprintf(w, "         path %s -> %s\n", pathText(o.Path), pathText(d.Path))
	}
	if g.Changes&diff.ChangeMapping != 0 {
		fmt.Fprintf(w, "         mapping offset %#x dev %02x:%02x inode %d -> offset %#x dev %02x:%02x inode %d\n",
			o.Offset, o.DevMajor, o.DevMinor, o.Inode, d.Offset, d.DevMajor, d.DevMinor, d.Inode)
	}
	if len(g.Ranges) == 0 {
		return
	}
	fmt.Fprintf(w, "         %s: %d page(s) in %d range(s)\n", g.Changes&(diff.ChangeContent|diff.ChangeStates|diff.ChangeSize), g.Pages, len(g.Ranges))
	for i, r := range g.Ranges {
		if i == maxHumanDiffRanges {
			fmt.Fprintf(w, "           ... and %d more range(s) (--json lists all)\n", len(g.Ranges)-i)
			break
		}
		fmt.Fprintf(w, "           %#x-%#x  %d page(s)\n", r.Start, r.End, (r.End-r.Start)/ps)
	}
}
