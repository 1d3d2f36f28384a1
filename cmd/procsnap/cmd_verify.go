package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/procsnap/procsnap/format"
	"github.com/spf13/pflag"
	"golang.org/x/crypto/ssh"
)

const verifyUsage = `Usage: procsnap verify [--json] [--identity KEY] [--pubkey KEY] ARCHIVE
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

An archive encrypted with age (capture --recipient) is verified with
--identity KEY in one forward pass: age authenticates every chunk as it is
decrypted, and verify shows the SHA-256 of the file as stored and of the
archive inside it. --pubkey KEY also checks the archive's signature
(ARCHIVE.sig, or --signature FILE; capture --sign wrote it): made by KEY,
over a statement that names this archive's SHA-256 (or, for the decrypted
copy of an encrypted archive, its plaintext's); it says who signed what, and
a signature that fails is a problem (exit 1).

With --json: {"ok", "complete", "incomplete_reason", "recovered_reason",
"digest_checked", "regions_checked", "problems": [{"region", "start", "end",
"perms", "path", "offset", "problem"}], "sha256" and "encrypted" (an
encrypted archive), "signature" (with --pubkey)}; when the archive cannot be
opened, {"error": {"message", "kind"}, "exit": N}.

Exit codes: 0 intact and complete (and, with --pubkey, a good signature), 1
damaged or incomplete (also: not a procsnap archive, a signature that fails),
2 usage, a file that cannot be read (also: an encrypted archive without a
matching --identity), or interrupted.
`

type verifyOpts struct {
	json              bool
	keys              archiveKeys
	pubkey, signature string
	pub               ssh.PublicKey
}

func verifyFlags(o *verifyOpts, stdout io.Writer) *pflag.FlagSet {
	fs := newFlagSet("verify", verifyUsage, stdout)
	fs.BoolVar(&o.json, "json", false, "JSON output")
	o.keys.flag(fs)
	fs.StringVar(&o.pubkey, "pubkey", "", "also check the archive's signature: the signer's ssh public `KEY`, a line (ssh-ed25519 AAAA...) or a file holding one")
	fs.StringVar(&o.signature, "signature", "", "the signature `FILE` --pubkey checks (default ARCHIVE.sig)")
	return fs
}

// sigPath is the signature file of the archive name.
func (o verifyOpts) sigPath(name string) string {
	if o.signature != "" {
		return o.signature
	}
	return name + ".sig"
}

// load reads the keys the flags name.
func (o *verifyOpts) load(archive string) error {
	if err := o.keys.load(); err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	switch {
	case o.signature != "" && o.pubkey == "":
		return usagef("--signature needs --pubkey, the key to check it with")
	case o.pubkey == "":
		return nil
	case archive == "-" && o.signature == "":
		return usagef("--pubkey with the archive on standard input: give its signature file with --signature FILE")
	}
	var err error
	if o.pub, err = loadPubkey(o.pubkey); err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	return nil
}

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o verifyOpts
	fs := verifyFlags(&o, stdout)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if err := o.load(fs.Arg(0)); err != nil {
		return err
	}
	if fs.Arg(0) == "-" {
		if err := refuseTerminalStdin("verify"); err != nil {
			return err
		}
	}
	stdin := stdinPeeker(fs.Arg(0))
	if dir, sr, c := setInput(fs.Arg(0), stdin); dir || sr != nil {
		if c != nil {
			defer c.Close()
		}
		if o.pub != nil {
			return usagef("--pubkey checks the signature of one archive: a capture set has none (its SHA256SUMS and manifest are checked)")
		}
		return verifySet(ctx, fs.Arg(0), sr, o, stdout)
	}
	switch {
	case fs.Arg(0) != "-" && sealedFile(fs.Arg(0)):
		return verifySealedFile(ctx, o, fs.Arg(0), stdout)
	case fs.Arg(0) != "-":
		return verifyFile(ctx, o, fs.Arg(0), stdout)
	}
	if head, _ := stdin.Peek(len(ageMagic)); isAge(head) || stdinKind() != "a regular file" {
		return verifyStreamed(ctx, o, stdin, "-", stdout)
	}
	return verifyFile(ctx, o, "-", stdout)
}

// stdinPeeker reads standard input for verify. A regular file is read
// through its own view from the current offset, so that peeking at it
// leaves the offset where openStdin expects it.
func stdinPeeker(name string) *bufio.Reader {
	if name == "-" && stdinKind() == "a regular file" {
		off, _ := os.Stdin.Seek(0, io.SeekCurrent)
		return bufio.NewReaderSize(io.NewSectionReader(os.Stdin, off, 1<<62), 1<<20)
	}
	return bufio.NewReaderSize(os.Stdin, 1<<20)
}

// verifyFile verifies an archive file through its index.
func verifyFile(ctx context.Context, o verifyOpts, name string, stdout io.Writer) error {
	r, err := openArchive(name, &o.keys)
	if err != nil {
		return verifyOpenError(err)
	}
	defer r.Close()
	res, err := verifyArchive(ctx, r)
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	out := newVerifyReport(res, r.Recovered(), incompleteReason(r), r.Region)
	if o.pub != nil {
		d := archiveDigests{}
		if d.sha256, d.bytes, err = fileDigest(name); err != nil {
			return &codeError{code: exitUsage, err: fmt.Errorf("read %s for its SHA-256: %w", name, err)}
		}
		out.addSignature(checkSignature(o.sigPath(name), o.pub, d))
	}
	return reportVerify(stdout, name, o, out)
}

// verifySealedFile verifies an encrypted archive file in one forward pass.
func verifySealedFile(ctx context.Context, o verifyOpts, name string, stdout io.Writer) error {
	f, err := os.Open(name)
	if err != nil {
		return verifyOpenError(fmt.Errorf("open archive: %w", err))
	}
	defer f.Close()
	return verifyStreamed(ctx, o, bufio.NewReaderSize(f, 1<<20), name, stdout)
}

// verifyOpenError: an archive damaged beyond opening (or none at all) is
// exit 1, anything else (usage, I/O) exit 2.
func verifyOpenError(err error) error {
	var ce *format.CorruptError
	var ke *kindError
	if errors.As(err, &ke) && ke.kind == kindKey {
		return &codeError{code: exitUsage, err: err}
	}
	if errors.As(err, &ce) || errors.As(err, &ke) && ke.kind == kindCorrupt {
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
		printSealed(&b, out)
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
	// Sealed evidence: the SHA-256 of the archive read (when known; of the
	// archive inside an encrypted one), the encrypted file, the signature.
	SHA256    string           `json:"sha256,omitempty"`
	Encrypted *encryptedReport `json:"encrypted,omitempty"`
	Signature *signatureCheck  `json:"signature,omitempty"`
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
	if c := v.Signature; c != nil && !c.OK && len(v.Problems) == 1 && v.Complete {
		fmt.Fprintf(w, "Every hash in the archive matches; its signature does not vouch for it.\n")
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
		if len(at) == 0 {
			fmt.Fprintf(w, "  %s\n", clean(p.Problem))
			continue
		}
		fmt.Fprintf(w, "  %s: %s\n", strings.Join(at, ", "), clean(stripCorruptPrefix(p.Problem, p.Offset)))
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
