package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/procsnap/procsnap/format"
	"github.com/spf13/pflag"
)

const extractUsage = `Usage: procsnap extract (--region N | --addr ADDR | --path TEXT) [--range START-END] [-o OUT|-] [--force] ARCHIVE
       procsnap extract --range START-END [-o OUT|-] [--force] ARCHIVE

Write the raw bytes of one region, or of the address range START-END (end
exclusive) inside it. The region is chosen by index (see 'procsnap list'), by
an address anywhere inside it, by text its path contains (--path: the same
match as in list, search and yara, case-sensitive, anywhere in the path; when
several regions match, none is written and they are listed), or, with --range
alone, as the region that contains the range.

Pages the archive does not hold (unreadable, not captured, missing or damaged)
are written as zeros and listed on stderr with the reason, e.g. EIO. Output
files are created with mode 0600 and never replaced without --force; the
default name is <ARCHIVE>.<start>-<end>.bin next to the archive.

Exit codes: 0 written, 1 failure (or damaged pages written as zeros), 2 usage.
`

type extractOpts struct {
	region      int
	addr, path  string
	rangeSpec   string
	output      string
	force       bool
	regionGiven bool
	keys        archiveKeys
}

func extractFlags(o *extractOpts, stdout io.Writer) *pflag.FlagSet {
	fs := newFlagSet("extract", extractUsage, stdout)
	fs.IntVar(&o.region, "region", 0, "region index, as 'procsnap list' shows it")
	fs.StringVar(&o.addr, "addr", "", "an address inside the region (hex)")
	fs.StringVar(&o.path, "path", "", "the one region whose path contains `TEXT`")
	fs.StringVar(&o.rangeSpec, "range", "", "only the addresses START-END (hex, end exclusive) of the region")
	fs.StringVarP(&o.output, "output", "o", "", `output file, "-" for stdout (default ARCHIVE.START-END.bin)`)
	fs.BoolVar(&o.force, "force", false, "replace an existing regular file (a device, FIFO or socket is written to as it is)")
	o.keys.flag(fs)
	return fs
}

func runExtract(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o extractOpts
	fs := extractFlags(&o, stdout)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if err := o.keys.load(); err != nil {
		return err
	}
	o.regionGiven = fs.Changed("region")
	if err := checkPath(o.path, fs.Changed("path")); err != nil {
		return err
	}
	archive := fs.Arg(0)
	r, err := openArchive(archive, &o.keys)
	if err != nil {
		return err
	}
	defer r.Close()
	g, lo, hi, err := selectRange(r, o)
	if err != nil {
		return err
	}
	name := o.output
	if name == "" && archive == "-" {
		return usagef("give -o: with the archive on standard input there is no name to derive the output's from")
	}
	if name == "" {
		name = fmt.Sprintf("%s.%x-%x.bin", archive, lo, hi)
	}
	if err := refuseArchiveAsOutput(name, archive); err != nil {
		return err
	}
	x := &extraction{r: r, g: g, lo: lo, hi: hi}
	if err := x.writeTo(ctx, name, o.force, stdout); err != nil {
		return err
	}
	return x.report(stderr, name, archive)
}

// selectRange picks the region and the address range to extract.
func selectRange(r *format.Reader, o extractOpts) (*format.Region, uint64, uint64, error) {
	n := 0
	for _, given := range []bool{o.regionGiven, o.addr != "", o.path != ""} {
		if given {
			n++
		}
	}
	if n > 1 {
		return nil, 0, 0, usagef("choose the region one way: --region, --addr or --path")
	}
	var lo, hi uint64
	var err error
	if o.rangeSpec != "" {
		if lo, hi, err = parseRange(o.rangeSpec); err != nil {
			return nil, 0, 0, usagef("--range: %v", err)
		}
	}
	g, err := selectRegion(r, o, lo)
	if err != nil {
		return nil, 0, 0, err
	}
	d := g.Desc
	if o.rangeSpec == "" {
		return g, d.Start, d.End, nil
	}
	if lo < d.Start || hi > d.End {
		return nil, 0, 0, usagef("--range %#x-%#x is not inside region %d (%#x-%#x %s): extract one region at a time",
			lo, hi, d.Index, d.Start, d.End, clean(d.Path))
	}
	return g, lo, hi, nil
}

func selectRegion(r *format.Reader, o extractOpts, rangeStart uint64) (*format.Region, error) {
	switch {
	case o.regionGiven:
		if g := r.Region(o.region); g != nil {
			return g, nil
		}
		return nil, usagef("the archive has no region %d (%d regions: run 'procsnap list')", o.region, len(r.Regions()))
	case o.addr != "":
		a, err := parseAddr(o.addr)
		if err != nil {
			return nil, usagef("--addr: %v", err)
		}
		if g := r.Find(a); g != nil {
			return g, nil
		}
		return nil, usagef("no region contains %#x (run 'procsnap list')", a)
	case o.path != "":
		return regionByPath(r, o.path)
	case o.rangeSpec != "":
		if g := r.Find(rangeStart); g != nil {
			return g, nil
		}
		return nil, usagef("no region contains %#x, the start of --range (run 'procsnap list')", rangeStart)
	}
	return nil, usagef("say what to extract: --region N, --addr ADDR, --path TEXT or --range START-END")
}

// regionByPath finds the one region whose path contains text.
func regionByPath(r *format.Reader, text string) (*format.Region, error) {
	found := regionsByPath(r, text)
	switch len(found) {
	case 0:
		return nil, usagef("no region's path contains %q (run 'procsnap list')", text)
	case 1:
		return found[0], nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--path %q matches %d regions; choose one with --region N:", text, len(found))
	for _, g := range found {
		fmt.Fprintf(&b, "\n  %d  %x-%x  %s  %s", g.Desc.Index, g.Desc.Start, g.Desc.End, clean(g.Desc.Perms), clean(g.Desc.Path))
	}
	return nil, usagef("%s", b.String())
}

// extraction copies [lo, hi) of one region out of the archive, chunk by
// chunk, and remembers the holes it filled with zeros.
type extraction struct {
	r       *format.Reader
	g       *format.Region
	lo, hi  uint64
	holes   []hole
	damaged uint64 // bytes of damaged chunks written as zeros
}

type hole struct {
	start, end uint64
	why        string
}

// writeTo writes the range to name (see output.go). A file that does not
// hold the whole range is removed; a device, FIFO or socket keeps what was
// written to it.
func (x *extraction) writeTo(ctx context.Context, name string, force bool, stdout io.Writer) error {
	out, err := openOutput(name, force, stdout, "raw memory")
	if err != nil {
		return err
	}
	s := &sink{w: out.w, ctx: ctx}
	if out.regular() {
		s.f = out.f // runs of zeros become holes in the file
	}
	err = x.copy(ctx, s)
	if err == nil {
		err = s.finish()
	}
	if err == nil {
		err = out.commit()
	}
	if err != nil {
		return fmt.Errorf("extract to %s: %w (%s)", name, err, out.abort())
	}
	return nil
}

// sinkError marks an error of the output (or ctx) inside ReadRange's
// callback, as opposed to damage in the archive.
type sinkError struct{ err error }

func (e *sinkError) Error() string { return e.err.Error() }

// copy streams the range through ReadRange. A damaged chunk is written as
// zeros and recorded, and the copy resumes after it.
func (x *extraction) copy(ctx context.Context, s *sink) error {
	at := x.lo
	for at < x.hi {
		err := x.r.ReadRange(x.g, at, x.hi, func(run format.Run) error {
			if err := ctx.Err(); err != nil {
				return &sinkError{err}
			}
			if err := x.emit(s, run); err != nil {
				return &sinkError{err}
			}
			at = run.End
			return nil
		})
		var se *sinkError
		var ce *format.CorruptError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &se):
			return se.err
		case !errors.As(err, &ce):
			return err
		}
		end := spanEnd(x.g, at, x.hi)
		if end <= at {
			return err
		}
		x.addHole(at, end, "damaged in the archive: "+ce.Reason)
		x.damaged += end - at
		if err := s.zeros(end - at); err != nil {
			return err
		}
		at = end
	}
	return nil
}

// spanEnd is the end (at most hi) of the span that holds at.
func spanEnd(g *format.Region, at, hi uint64) uint64 {
	for _, s := range g.Spans() {
		if at >= s.Start && at < s.End {
			return min(s.End, hi)
		}
	}
	return at
}

func (x *extraction) emit(s *sink, run format.Run) error {
	n := run.End - run.Start
	switch {
	case run.State == format.PageData && run.Data != nil:
		return s.write(run.Data)
	case run.State == format.PageZero:
		return s.zeros(n)
	}
	x.addHole(run.Start, run.End, x.holeReason(run))
	return s.zeros(n)
}

func (x *extraction) holeReason(run format.Run) string {
	switch {
	case run.Missing:
		return "missing from the archive (cut off or damaged)"
	case run.State == format.PageUnreadable:
		return "unreadable (" + errnoName(run.Errno) + ")"
	case run.State == format.PageNotCaptured && x.g.Desc.Skip != "":
		return "not captured: region skipped (" + clean(x.g.Desc.Skip) + ")"
	case run.State == format.PageNotCaptured && x.g.Footer != nil && x.g.Footer.Message != "":
		return "not captured (" + clean(x.g.Footer.Message) + ")"
	case run.State == format.PageNotCaptured:
		return "not captured"
	}
	return "no bytes stored (" + run.State.String() + ")"
}

func (x *extraction) addHole(start, end uint64, why string) {
	if n := len(x.holes); n > 0 && x.holes[n-1].end == start && x.holes[n-1].why == why {
		x.holes[n-1].end = end
		return
	}
	x.holes = append(x.holes, hole{start, end, why})
}

// report tells stderr what was written and which ranges are zeros that
// stand for pages the archive does not hold.
func (x *extraction) report(stderr io.Writer, name, archive string) error {
	d := x.g.Desc
	to := clean(name)
	if name == "-" {
		to = "stdout"
	}
	fmt.Fprintf(stderr, "procsnap extract: wrote %#x-%#x (%s) of region %d (%s %s) to %s\n",
		x.lo, x.hi, human(x.hi-x.lo), d.Index, clean(d.Perms), clean(d.Path), to)
	if len(x.holes) > 0 {
		var n uint64
		for _, h := range x.holes {
			n += h.end - h.start
		}
		fmt.Fprintf(stderr, "procsnap extract: %d range(s), %s, are not in the archive and were written as zeros:\n", len(x.holes), human(n))
		for _, h := range x.holes {
			fmt.Fprintf(stderr, "  %#x-%#x  %s\n", h.start, h.end, h.why)
		}
	}
	if x.damaged > 0 {
		return &codeError{code: exitFailure, err: fmt.Errorf("%s of damaged chunks were written as zeros (listed above); run 'procsnap verify %s'",
			human(x.damaged), archive)}
	}
	return nil
}

// sink is the extraction's output. On a regular file, zeros are skipped
// over with Seek and the file is sized at the end, so holes cost nothing.
type sink struct {
	ctx context.Context // checked while writing long runs of zeros
	w   io.Writer
	f   *os.File
	n   int64
}

var zeroBlock [64 << 10]byte

func (s *sink) write(p []byte) error {
	k, err := s.w.Write(p)
	s.n += int64(k)
	return err
}

func (s *sink) zeros(n uint64) error {
	if s.f != nil {
		if n > 1<<62 {
			return fmt.Errorf("%d bytes of zeros: larger than any file", n)
		}
		if _, err := s.f.Seek(int64(n), io.SeekCurrent); err != nil {
			return err
		}
		s.n += int64(n)
		return nil
	}
	for i := 0; n > 0; i++ {
		if i%256 == 0 && s.ctx.Err() != nil {
			return s.ctx.Err()
		}
		k := min(n, uint64(len(zeroBlock)))
		if err := s.write(zeroBlock[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// finish sets the size of a file whose last bytes were skipped over.
func (s *sink) finish() error {
	if s.f != nil {
		return s.f.Truncate(s.n)
	}
	return nil
}
