package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/procsnap/procsnap/format"
	"github.com/spf13/pflag"
)

const verifyUsage = `Usage: procsnap verify [--json] ARCHIVE
       procsnap capture -o - PID | procsnap verify [--json] -
       procsnap verify [--json] SET-DIR|SET.tar|-

Recompute every hash in the archive: the SHA-256 of the whole file against
its trailer, every record checksum, every page hash of every chunk (each chunk
is decompressed), and every region's hash and byte counts against its footer.
Each problem names its region and archive offset. An archive that is whole
but was cut short (an interrupted capture, a target that exited) is reported
INCOMPLETE, not damaged; it fails all the same. With ARCHIVE "-" a pipe on
standard input is verified as it streams, in one pass: nothing is written.

A capture set (capture of several processes: a directory, or the tar stream
of -o -, as a file or on standard input) is verified whole: every archive (a
tar's as it streams), every file against SHA256SUMS, and the manifest against
both; a set where a selected process was not captured whole is INCOMPLETE.

With --json: {"ok", "complete", "incomplete_reason", "recovered_reason",
"digest_checked", "regions_checked", "problems": [{"region", "start", "end",
"perms", "path", "offset", "problem"}]}; when the archive cannot be opened,
{"error": {"message", "kind"}, "exit": N}.

Exit codes: 0 intact and complete, 1 damaged or incomplete (also: not a
procsnap archive), 2 usage, a file that cannot be read, or interrupted.
`

type verifyOpts struct{ json bool }

func verifyFlags(o *verifyOpts, stdout io.Writer) *pflag.FlagSet {
	fs := newFlagSet("verify", verifyUsage, stdout)
	fs.BoolVar(&o.json, "json", false, "JSON output")
	return fs
}

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o verifyOpts
	fs := verifyFlags(&o, stdout)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	stdin := stdinReader()
	if dir, sr, c := setInput(fs.Arg(0), stdin); dir || sr != nil {
		if c != nil {
			defer c.Close()
		}
		return verifySet(ctx, fs.Arg(0), sr, o, stdout)
	}
	if fs.Arg(0) == "-" && stdinKind() != "a regular file" {
		return verifyStdinStream(ctx, o, stdin, stdout)
	}
	r, err := openArchive(fs.Arg(0))
	if err != nil {
		return verifyOpenError(err)
	}
	defer r.Close()
	res, err := verifyArchive(ctx, r)
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	out := newVerifyReport(res, r.Recovered(), incompleteReason(r), r.Region)
	return reportVerify(stdout, fs.Arg(0), o, out)
}

// verifyStdinStream verifies the archive piped into standard input, in one
// forward pass (format.VerifyStream): nothing is written anywhere.
func verifyStdinStream(ctx context.Context, o verifyOpts, stdin io.Reader, stdout io.Writer) error {
	if err := refuseTerminalStdin("verify"); err != nil {
		return err
	}
	type outcome struct {
		res *format.StreamResult
		err error
	}
	done := make(chan outcome, 1)
	go func() { // a read from a stalled pipe does not see ctx: do not wait for it
		res, err := format.VerifyStream(ctx, stdin)
		done <- outcome{res, err}
	}()
	var res *format.StreamResult
	var err error
	select {
	case o := <-done:
		res, err = o.res, o.err
	case <-ctx.Done():
	}
	if ctx.Err() != nil {
		return &codeError{code: exitUsage, err: fmt.Errorf("verification interrupted (%v): nothing is known about the archive", context.Cause(ctx))}
	}
	if err != nil {
		return verifyOpenError(fmt.Errorf("verify standard input: %w", err))
	}
	why := ""
	if !res.Complete {
		why = incompleteWhy(res.Inconsistent, res.End, res.Trailer, res.Unfooted, res.Damaged)
	}
	return reportVerify(stdout, "-", o, newVerifyReport(res.VerifyResult, res.Recovered, why, func(i int) *format.Region {
		if d := res.Region(i); d != nil {
			return &format.Region{Desc: *d}
		}
		return nil
	}))
}

// verifyOpenError: an archive damaged beyond opening (or none at all) is
// exit 1, anything else (usage, I/O) exit 2.
func verifyOpenError(err error) error {
	var ce *format.CorruptError
	if errors.As(err, &ce) {
		return &codeError{code: exitFailure, err: err}
	}
	return &codeError{code: exitUsage, err: err}
}

// reportVerify prints the report and turns it into verify's exit code.
func reportVerify(stdout io.Writer, name string, o verifyOpts, out *verifyReport) error {
	var err error
	if o.json {
		err = writeJSON(stdout, out)
	} else {
		var b bytes.Buffer
		printVerify(&b, name, out)
		_, err = stdout.Write(b.Bytes())
	}
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	if !out.OK {
		return &codeError{code: exitFailure}
	}
	return nil
}

// verifyArchive runs r.Verify so that ctx (Ctrl-C, SIGTERM) interrupts it
// at once, even inside a long region.
func verifyArchive(ctx context.Context, r *format.Reader) (format.VerifyResult, error) {
	done := make(chan format.VerifyResult, 1)
	go func() { done <- r.Verify(ctx) }()
	select {
	case res := <-done:
		if ctx.Err() != nil {
			return res, fmt.Errorf("%w: verification stopped, nothing is known about the archive", context.Cause(ctx))
		}
		return res, nil
	case <-ctx.Done():
		return format.VerifyResult{}, fmt.Errorf("%w: verification stopped, nothing is known about the archive", context.Cause(ctx))
	}
}

// verifyReport is verify's JSON shape, documented in docs/CLI.md.
type verifyReport struct {
	OK             bool            `json:"ok"`
	Complete       bool            `json:"complete"`
	Incomplete     string          `json:"incomplete_reason,omitempty"`
	Recovered      string          `json:"recovered_reason,omitempty"`
	DigestChecked  bool            `json:"digest_checked"`
	RegionsChecked int             `json:"regions_checked"`
	Problems       []verifyProblem `json:"problems"`
}

// verifyProblem is one problem; Region is null for damage outside any
// region, and then Start, End, Perms and Path are empty.
type verifyProblem struct {
	Region  *int   `json:"region"`
	Start   string `json:"start,omitempty"`
	End     string `json:"end,omitempty"`
	Perms   string `json:"perms,omitempty"`
	Path    string `json:"path,omitempty"`
	Offset  int64  `json:"offset"`
	Problem string `json:"problem"`
}

// newVerifyReport builds the report of res; incomplete says why the
// archive is not complete, region finds a region that a problem names.
func newVerifyReport(res format.VerifyResult, recovered, incomplete string, region func(int) *format.Region) *verifyReport {
	out := &verifyReport{OK: res.OK, Complete: res.Complete, Recovered: recovered, DigestChecked: res.DigestChecked,
		RegionsChecked: res.RegionsChecked, Problems: []verifyProblem{}}
	if !res.Complete {
		out.Incomplete = incomplete
	}
	for _, p := range res.Problems {
		vp := verifyProblem{Region: regionRef(p.Region), Offset: p.Offset, Problem: p.Problem}
		if p.Region >= 0 {
			if g := region(p.Region); g != nil {
				vp.Start, vp.End, vp.Perms, vp.Path = hexAddr(g.Desc.Start), hexAddr(g.Desc.End), g.Desc.Perms, g.Desc.Path
			}
		}
		out.Problems = append(out.Problems, vp)
	}
	return out
}

func printVerify(w io.Writer, path string, v *verifyReport) {
	switch {
	case v.OK:
		fmt.Fprintf(w, "%s: OK: the SHA-256, every record checksum and every page and region hash of %d regions match; the capture is complete\n",
			clean(path), v.RegionsChecked)
		return
	case len(v.Problems) == 0: // whole but cut short: an interrupted capture, a target that exited
		fmt.Fprintf(w, "%s: INCOMPLETE, not damaged: every hash in %s matches, but the capture did not finish: %s\n",
			clean(path), plural(v.RegionsChecked, "region"), clean(v.Incomplete))
	default:
		fmt.Fprintf(w, "%s: FAILED: %s in %s checked\n", clean(path), plural(len(v.Problems), "problem"), plural(v.RegionsChecked, "region"))
		printVerifyProblems(w, v)
		if !v.Complete {
			fmt.Fprintf(w, "  incomplete: %s\n", clean(v.Incomplete))
		}
	}
	if v.Recovered != "" {
		fmt.Fprintf(w, "  read by scanning because: %s\n", clean(v.Recovered))
	}
	if len(v.Problems) == 0 {
		fmt.Fprintf(w, "What it holds can be read (list, extract, diff); pages the capture did not reach are marked not captured.\n")
		return
	}
	fmt.Fprintf(w, "Intact regions can still be read (list, extract, diff); damaged pages cannot be trusted.\n")
}

func printVerifyProblems(w io.Writer, v *verifyReport) {
	for _, p := range v.Problems {
		var at []string
		if p.Region != nil {
			at = append(at, fmt.Sprintf("region %d (%s-%s %s %s)", *p.Region, strings.TrimPrefix(p.Start, "0x"),
				strings.TrimPrefix(p.End, "0x"), clean(p.Perms), clean(p.Path)))
		}
		if p.Offset > 0 { // 0 is the signature, never a record: unknown
			at = append(at, fmt.Sprintf("archive offset %d", p.Offset))
		}
		where := strings.Join(at, ", ")
		fmt.Fprintf(w, "  %s: %s\n", where, clean(stripCorruptPrefix(p.Problem, p.Offset)))
	}
}

// stripCorruptPrefix drops the "corrupt archive at offset N (region R): "
// that a *format.CorruptError puts in front of its reason, when the line
// already says where.
func stripCorruptPrefix(s string, off int64) string {
	p := fmt.Sprintf("corrupt archive at offset %d", off)
	if !strings.HasPrefix(s, p) {
		return s
	}
	if _, rest, ok := strings.Cut(s[len(p):], ": "); ok {
		return rest
	}
	return s
}
