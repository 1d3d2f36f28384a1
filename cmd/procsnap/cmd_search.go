package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/snapshot/search"
	"github.com/spf13/pflag"
)

const searchUsage = `Usage: procsnap search [--json] (--string TEXT | --hex HEX | --regex RE | --strings [--min N])
                       [--wide] [--ignore-case] [--region N | --path TEXT] [--context N] [--max N]
                       [--max-match-len N] ARCHIVE

Find bytes, strings or patterns in a snapshot and print each match at its
virtual address: the region (index, perms, path), the offset in the region
and the bytes around the match (hex and text). Matches come in address order.

  --string TEXT   the UTF-8 bytes of TEXT; with --wide its UTF-16LE encoding too;
                  with --ignore-case ASCII letters match either case
  --hex HEX       bytes written in hex: "48 65 6c 6c 6f", "48656c6c6f", "0x48656c"
  --regex RE      a Go (RE2) regular expression over the bytes (read as UTF-8);
                  a match is at most --max-match-len bytes (default 4096)
  --strings       printable runs (0x20-0x7e and tab) of at least --min characters
                  (default 4), with --wide also UTF-16LE runs: strings -t x at
                  virtual addresses; the text kept is at most --max-match-len

Only captured bytes are searched: zero, unreadable and not-captured pages are
skipped and no match spans one of them, or two regions. --string and --hex
report every occurrence, overlapping ones too; --regex matches do not overlap.

With --json: {"matches": [{"address", "region", "path", "perms", "offset",
"length", "encoding", "context_hex", "context_text", ...}], "count",
"max_reached", "problems"}, with "error" and "exit" after them when the search
ends in trouble; {"error": {"message", "kind"}, "exit": N} when it cannot start.

Exit codes: 0 found, 1 not found, 2 trouble (bad usage, an archive that cannot
be read, a --region or --path that selects nothing, damaged chunks that were
skipped: their matches are still printed), 130/143 interrupted by
SIGINT/SIGTERM.
`

type searchOpts struct {
	json        bool
	text        string
	hex         string
	regex       string
	strings     bool
	min         int
	wide        bool
	ignoreCase  bool
	region      int
	regionGiven bool
	path        string
	context     int
	max         int
	maxMatchLen int
	keys        archiveKeys
}

func searchFlags(o *searchOpts, stdout io.Writer) *pflag.FlagSet {
	fs := newFlagSet("search", searchUsage, stdout)
	fs.BoolVar(&o.json, "json", false, "JSON output")
	fs.StringVar(&o.text, "string", "", "search for `TEXT`")
	fs.StringVar(&o.hex, "hex", "", "search for the bytes `HEX`")
	fs.StringVar(&o.regex, "regex", "", "search for the regular expression `RE`")
	fs.BoolVar(&o.strings, "strings", false, "list printable strings")
	fs.IntVar(&o.min, "min", search.DefaultMinString, "shortest string listed by --strings, in characters")
	fs.BoolVar(&o.wide, "wide", false, "also UTF-16LE (with --string or --strings)")
	fs.BoolVarP(&o.ignoreCase, "ignore-case", "i", false, "ASCII case folding (with --string or --regex)")
	fs.IntVar(&o.region, "region", 0, "search only the region with index `N`")
	fs.StringVar(&o.path, "path", "", "search only regions whose path contains `TEXT`")
	fs.IntVar(&o.context, "context", 16, "bytes shown on each side of a match (0-4096)")
	fs.IntVar(&o.max, "max", 0, "stop after `N` matches (0: no limit)")
	fs.IntVar(&o.maxMatchLen, "max-match-len", search.DefaultMaxMatchLen, "longest --regex match, longest --strings text, in bytes")
	o.keys.flag(fs)
	return fs
}

func runSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o searchOpts
	fs := searchFlags(&o, stdout)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if err := o.keys.load(); err != nil {
		return &codeError{code: exitTrouble, err: err}
	}
	q, err := o.query(fs)
	if err != nil {
		return err
	}
	if isDir(fs.Arg(0)) {
		return searchSet(ctx, fs.Arg(0), o, q, stdout, stderr)
	}
	return searchArchive(ctx, fs.Arg(0), o, q, stdout, stderr)
}

// searchArchive searches one archive and gives search's exit.
func searchArchive(ctx context.Context, path string, o searchOpts, q *search.Query, stdout, stderr io.Writer) error {
	r, err := openArchive(path, &o.keys)
	if err != nil {
		return &codeError{code: exitTrouble, err: err}
	}
	defer r.Close()
	if why := r.Recovered(); why != "" {
		fmt.Fprintf(stderr, "procsnap search: warning: the archive's index is unusable (%s); searching the records recovered by a scan\n", why)
	}
	regions, err := o.regions(r)
	if err != nil {
		return &codeError{code: exitTrouble, err: err}
	}
	ctxBytes := o.context
	if o.strings {
		ctxBytes = 0
	}
	all := regions
	if all == nil {
		all = r.Regions()
	}
	out := newSearchOutput(stdout, o.json, o.strings, all)
	opts := search.Options{Regions: regions, Context: ctxBytes, Max: o.max, Format: out.format}
	res, err := search.Search(ctx, r, q, opts, out.match)
	return searchExit(ctx, stderr, out, res, err)
}

// query checks the flag combination and compiles the search.
func (o *searchOpts) query(fs *pflag.FlagSet) (*search.Query, error) {
	modes := 0
	for _, f := range []string{"string", "hex", "regex", "strings"} {
		if anyChanged(fs, f) {
			modes++
		}
	}
	if modes != 1 {
		return nil, usagef("give exactly one of --string, --hex, --regex and --strings (run 'procsnap search --help')")
	}
	o.strings = fs.Changed("strings")
	only := []struct {
		flag string
		ok   bool
	}{
		{"wide", anyChanged(fs, "string", "strings")},
		{"ignore-case", anyChanged(fs, "string", "regex")},
		{"min", o.strings},
		{"context", !o.strings},
		{"max-match-len", anyChanged(fs, "regex", "strings")},
	}
	for _, c := range only {
		if fs.Changed(c.flag) && !c.ok {
			return nil, usagef("--%s does not apply to this search (run 'procsnap search --help')", c.flag)
		}
	}
	o.regionGiven = fs.Changed("region")
	if o.regionGiven && fs.Changed("path") {
		return nil, usagef("give --region or --path, not both")
	}
	if err := checkPath(o.path, fs.Changed("path")); err != nil {
		return nil, err
	}
	switch {
	case o.max < 0:
		return nil, usagef("--max %d: want 0 (no limit) or more", o.max)
	case o.min < 1:
		return nil, usagef("--min %d: want 1 or more", o.min)
	case o.maxMatchLen < 1:
		return nil, usagef("--max-match-len %d: want 1 or more", o.maxMatchLen)
	}
	if o.context < 0 || o.context > search.MaxContext {
		return nil, usagef("--context %d: want 0 to %d", o.context, search.MaxContext)
	}
	q, err := o.compile(fs)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return q, nil
}

func anyChanged(fs *pflag.FlagSet, flags ...string) bool {
	for _, f := range flags {
		if fs.Changed(f) {
			return true
		}
	}
	return false
}

func (o *searchOpts) compile(fs *pflag.FlagSet) (*search.Query, error) {
	switch {
	case fs.Changed("string"):
		return search.NewText(o.text, search.TextOptions{Wide: o.wide, IgnoreCase: o.ignoreCase})
	case fs.Changed("hex"):
		b, err := search.ParseHex(o.hex)
		if err != nil {
			return nil, err
		}
		return search.NewBytes(b)
	case fs.Changed("regex"):
		return search.NewRegex(o.regex, o.ignoreCase, o.maxMatchLen)
	}
	return search.NewStrings(o.min, o.wide, o.maxMatchLen)
}

// regions are the regions --region or --path select (nil: all).
func (o *searchOpts) regions(r *format.Reader) ([]*format.Region, error) {
	switch {
	case o.regionGiven:
		g := r.Region(o.region)
		if g == nil {
			return nil, &kindError{kindNotFound, fmt.Errorf("the archive has no region %d (run 'procsnap list' for the regions)", o.region)}
		}
		return []*format.Region{g}, nil
	case o.path != "":
		out := regionsByPath(r, o.path)
		if len(out) == 0 {
			return nil, &kindError{kindNotFound, fmt.Errorf("no region's path contains %q (run 'procsnap list' for the regions)", o.path)}
		}
		return out, nil
	}
	return nil, nil
}

// searchExit finishes the output (the JSON document carries the error
// that ends the search, if any) and returns grep's exit codes: 0 found, 1
// not found, 2 trouble; signalExit when interrupted.
func searchExit(ctx context.Context, stderr io.Writer, out *searchOutput, res search.Result, err error) error {
	end := searchOutcome(ctx, res, err)
	ferr := out.finish(res, end)
	var se *signalError
	switch {
	case errors.As(context.Cause(ctx), &se):
		return end
	case errors.Is(err, syscall.EPIPE) || errors.Is(ferr, syscall.EPIPE):
		return &codeError{code: exitOK} // the reader went away (e.g. | head): stop quietly
	case err == nil && ferr != nil:
		return &codeError{code: exitTrouble, err: fmt.Errorf("write output: %w", ferr)}
	}
	if err == nil {
		for _, p := range res.Problems {
			fmt.Fprintf(stderr, "procsnap search: %v\n", p)
		}
	}
	if end == nil {
		return nil
	}
	return end
}

// searchOutcome is how the search ended: nil (found), not found, trouble,
// or interrupted.
func searchOutcome(ctx context.Context, res search.Result, err error) *codeError {
	if ce := interruptedWith(ctx, nil); ce != nil {
		return ce
	}
	switch {
	case err != nil:
		return &codeError{code: exitTrouble, err: err}
	case len(res.Problems) > 0:
		err := fmt.Errorf("%d damaged chunk(s) could not be searched (run 'procsnap verify')", len(res.Problems))
		return &codeError{code: exitTrouble, err: &kindError{kind: kindCorrupt, err: err}}
	case res.Matches == 0:
		return &codeError{code: exitNotFound}
	}
	return nil
}
