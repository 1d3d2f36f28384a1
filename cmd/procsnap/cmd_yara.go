package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/snapshot/yarascan"
	"github.com/spf13/pflag"
)

const yaraUsage = `Usage: procsnap yara [--json] [--region N | --path TEXT] RULES ARCHIVE...

Run YARA rules over the captured memory of snapshots, on the real YARA
engine: Debian's yara program (4.x; apt-get install yara). RULES is a rule
file, a directory of rule files (*.yar, *.yara, compiled together in the
default namespace) or a rule set compiled by yarac.

Each captured run of data (contiguous data pages of one region) is scanned
as its own buffer: zero, unreadable and not-captured pages are never
scanned and no match spans one of them. In a condition, filesize is the
run's size and offsets (uint32(0), $a at N) count from the run's start.
Each hit names the archive and its process, the rule (namespace, tags,
meta), the region and the run; each string match its virtual address, its
offset in the region and the matched bytes (at most 64 shown). Memory
reaches yara only through memfds: nothing of a snapshot is written to disk.

Exit codes: 0 a rule matched, 1 none did, 2 trouble (bad usage, rules that
do not compile, yara missing, an archive that cannot be read, damaged
chunks or runs yara could not scan: the hits found elsewhere are printed).
`

type yaraOpts struct {
	json        bool
	region      int
	regionGiven bool
	path        string
	keys        archiveKeys
}

func yaraFlags(o *yaraOpts, stdout io.Writer) *pflag.FlagSet {
	fs := newFlagSet("yara", yaraUsage, stdout)
	fs.BoolVar(&o.json, "json", false, "JSON output")
	fs.IntVar(&o.region, "region", 0, "scan only the region with index `N` (one ARCHIVE only)")
	fs.StringVar(&o.path, "path", "", "scan only regions whose path contains `TEXT`")
	o.keys.flag(fs)
	return fs
}

func runYara(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o yaraOpts
	fs := yaraFlags(&o, stdout)
	if err := parseFlags(fs, args, -1); err != nil {
		return err
	}
	switch {
	case fs.NArg() < 2:
		return usagef("want RULES and at least one ARCHIVE, got %d argument(s) (run 'procsnap yara --help')", fs.NArg())
	case fs.Changed("region") && fs.Changed("path"):
		return usagef("give --region or --path, not both")
	case fs.Changed("region") && fs.NArg() > 2:
		return usagef("--region takes one ARCHIVE (region numbers differ between archives; use --path)")
	}
	if err := checkPath(o.path, fs.Changed("path")); err != nil {
		return err
	}
	o.regionGiven = fs.Changed("region")
	if err := o.keys.load(); err != nil {
		return &codeError{code: exitTrouble, err: err}
	}
	rules, err := yarascan.Load(ctx, fs.Arg(0))
	if err != nil {
		return yaraLoadError(ctx, err)
	}
	defer rules.Close()
	for _, w := range rules.Warnings {
		fmt.Fprintf(stderr, "procsnap yara: yarac: %s\n", w)
	}
	set, err := openYaraSet(fs.Args()[1:], o, stderr)
	defer set.close()
	if err != nil {
		return &codeError{code: exitTrouble, err: err}
	}
	out := newYaraOutput(stdout, o.json, set)
	res, err := rules.Scan(ctx, set.sources(), yarascan.Options{}, out.hit)
	return yaraExit(ctx, stderr, out, set, res, err)
}

// yaraLoadError gives the exit for rules that cannot be loaded: yarac's
// own message for rules that do not compile.
func yaraLoadError(ctx context.Context, err error) error {
	if ce := interruptedWith(ctx, nil); ce != nil {
		return ce
	}
	var ce *yarascan.CompileError
	if errors.As(err, &ce) {
		return &codeError{code: exitTrouble, err: fmt.Errorf("the rules do not compile; yarac says:\n%s", ce.Message)}
	}
	return &codeError{code: exitTrouble, err: err}
}

// yaraArchive is one ARCHIVE argument: its reader and the regions chosen,
// or why it cannot be scanned.
type yaraArchive struct {
	name    string
	r       *format.Reader
	regions []*format.Region // nil: all
	err     error
}

func (a *yaraArchive) pid() int {
	if a.r == nil || a.r.Meta() == nil {
		return 0
	}
	return a.r.Meta().PID
}

func (a *yaraArchive) comm() string {
	if a.r == nil || a.r.Meta() == nil {
		return ""
	}
	return a.r.Meta().Comm
}

// yaraSet is the archives of a run, in the order given. A capture set (a
// directory of archives or a tar, issue 17) will add its members here.
type yaraSet struct {
	archives []*yaraArchive // those that opened, in order
	failed   []*yaraArchive // those that did not
}

// openYaraSet opens every archive; one that cannot be opened is named on
// stderr and the others are scanned. A --region or --path that selects
// nothing in any archive is an error.
func openYaraSet(names []string, o yaraOpts, stderr io.Writer) (*yaraSet, error) {
	set := &yaraSet{}
	for _, name := range expandSetDirs(names, stderr) {
		a := &yaraArchive{name: name}
		a.r, a.err = openArchive(name, &o.keys)
		if a.err != nil {
			fmt.Fprintf(stderr, "procsnap yara: %s: %v\n", name, a.err)
			set.failed = append(set.failed, a)
			continue
		}
		if why := a.r.Recovered(); why != "" {
			fmt.Fprintf(stderr, "procsnap yara: warning: %s: the archive's index is unusable (%s); scanning the records recovered by a scan\n", name, why)
		}
		a.regions = selectYaraRegions(a.r, o)
		set.archives = append(set.archives, a)
	}
	if len(set.archives) == 0 {
		return set, errors.New("no archive could be opened")
	}
	if !o.regionGiven && o.path == "" {
		return set, nil
	}
	for _, a := range set.archives {
		if len(a.regions) > 0 {
			return set, nil
		}
	}
	if o.regionGiven {
		return set, fmt.Errorf("the archive has no region %d (run 'procsnap list' for the regions)", o.region)
	}
	return set, fmt.Errorf("no region's path contains %q (run 'procsnap list' for the regions)", o.path)
}

// selectYaraRegions are the regions --region or --path choose (nil: all).
func selectYaraRegions(r *format.Reader, o yaraOpts) []*format.Region {
	switch {
	case o.regionGiven:
		if g := r.Region(o.region); g != nil {
			return []*format.Region{g}
		}
		return []*format.Region{}
	case o.path != "":
		return append([]*format.Region{}, regionsByPath(r, o.path)...) // none: not nil, which means all
	}
	return nil
}

func (s *yaraSet) sources() []yarascan.Source {
	out := make([]yarascan.Source, len(s.archives))
	for i, a := range s.archives {
		out[i] = yarascan.Source{Reader: a.r, Regions: a.regions}
	}
	return out
}

func (s *yaraSet) close() {
	if s == nil {
		return
	}
	for _, a := range s.archives {
		a.r.Close()
	}
}

// yaraExit finishes the output and gives search's exit codes: 0 a rule
// matched, 1 none did, 2 trouble; signalExit when interrupted.
func yaraExit(ctx context.Context, stderr io.Writer, out *yaraOutput, set *yaraSet, res yarascan.Result, err error) error {
	ferr := out.finish(res)
	if ce := interruptedWith(ctx, nil); ce != nil {
		return ce
	}
	switch {
	case errors.Is(err, syscall.EPIPE) || errors.Is(ferr, syscall.EPIPE):
		return &codeError{code: exitOK} // the reader went away (e.g. | head): stop quietly
	case err != nil:
		return &codeError{code: exitTrouble, err: err}
	case ferr != nil:
		return &codeError{code: exitTrouble, err: fmt.Errorf("write output: %w", ferr)}
	}
	for _, p := range res.Problems {
		fmt.Fprintf(stderr, "procsnap yara: %s: %v\n", set.archives[p.Source].name, p)
	}
	fmt.Fprintf(stderr, "procsnap yara: %s\n", summary(set, res))
	switch trouble := len(res.Problems) + len(set.failed); {
	case trouble > 0:
		return &codeError{code: exitTrouble, err: fmt.Errorf("%d archive(s) could not be opened, %d part(s) could not be scanned", len(set.failed), len(res.Problems))}
	case res.Hits == 0:
		return &codeError{code: exitNotFound}
	}
	return nil
}

// summary says what was scanned: bytes, runs, archives, hits.
func summary(set *yaraSet, res yarascan.Result) string {
	var runs int
	var bytes uint64
	for _, sc := range res.Scanned {
		runs += sc.Runs
		bytes += sc.Bytes
	}
	return fmt.Sprintf("scanned %s (%d bytes) in %d run(s) of data of %d archive(s): %d hit(s)",
		human(bytes), bytes, runs, len(set.archives), res.Hits)
}

// expandSetDirs replaces each capture set directory among names by its
// archives (capture -o DIR), so that yara scans every process of the set
// and names the process of each hit.
func expandSetDirs(names []string, stderr io.Writer) []string {
	var out []string
	for _, n := range names {
		if !isDir(n) {
			out = append(out, n)
			continue
		}
		archives, err := setArchives(n)
		if err != nil {
			fmt.Fprintf(stderr, "procsnap yara: %v\n", err)
			out = append(out, n) // reported again, as an archive that cannot be opened
			continue
		}
		out = append(out, archives...)
	}
	return out
}
