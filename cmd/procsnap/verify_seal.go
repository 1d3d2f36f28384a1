package main

// verify of sealed evidence (issue 20): an encrypted archive is verified
// in one forward pass (age authenticates every chunk as it is decrypted,
// the file as stored is hashed as it passes), and --pubkey checks the
// archive's signature file against what verify read.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/procsnap/procsnap/format"
	"golang.org/x/crypto/ssh"
)

// archiveDigests is what verify knows of an archive's bytes.
type archiveDigests struct {
	sha256      string // of the file as read (the ciphertext when encrypted)
	bytes       int64
	encrypted   bool
	plainSHA256 string // of the archive it decrypts to, when encrypted
	plainBytes  int64
}

// signatureCheck is verify's report on a signature (JSON "signature").
type signatureCheck struct {
	OK        bool        `json:"ok"`
	File      string      `json:"file"`
	Signer    string      `json:"signer,omitempty"`  // type and SHA256 fingerprint of the key that signed
	Matched   string      `json:"matched,omitempty"` // "archive", or "plaintext" for the decrypted copy of an encrypted archive
	Problem   string      `json:"problem,omitempty"`
	Statement *provenance `json:"statement,omitempty"`
}

// encryptedReport is verify's report on an encrypted archive's file (JSON
// "encrypted").
type encryptedReport struct {
	Format string `json:"format"` // "age"
	SHA256 string `json:"sha256"` // of the file as stored
	Bytes  int64  `json:"bytes"`
}

// checkSignature checks the signature file at path: made by pub, over a
// statement that names this archive.
func checkSignature(path string, pub ssh.PublicKey, d archiveDigests) *signatureCheck {
	c := &signatureCheck{File: path}
	b, err := readKeyFile(path, "signature")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.Problem = fmt.Sprintf("no signature: %s does not exist (capture --sign writes ARCHIVE.sig; give another with --signature FILE)", path)
		return c
	case err != nil:
		c.Problem = err.Error()
		return c
	}
	ss, err := parseSigFile(b)
	if err != nil {
		c.Problem = fmt.Sprintf("%s: %v", path, err)
		return c
	}
	c.Signer, c.Statement = keyID(ss.key), ss.st
	if !bytes.Equal(ss.key.Marshal(), pub.Marshal()) {
		c.Problem = fmt.Sprintf("%s was signed by %s, not by the --pubkey given (%s)", path, keyID(ss.key), keyID(pub))
		return c
	}
	c.Matched, c.Problem = matchDigests(ss.st, d)
	c.OK = c.Problem == ""
	return c
}

// matchDigests compares the archive read with the one the statement
// names: the file as written, or (for the decrypted copy of an encrypted
// archive) its plaintext.
func matchDigests(st *provenance, d archiveDigests) (string, string) {
	a := st.Archive
	switch {
	case d.sha256 == a.SHA256 && d.bytes == a.Bytes:
		return "archive", ""
	case !d.encrypted && st.Plaintext != nil && d.sha256 == st.Plaintext.SHA256 && d.bytes == st.Plaintext.Bytes:
		return "plaintext", ""
	}
	named := fmt.Sprintf("SHA-256 %s (%d bytes)", a.SHA256, a.Bytes)
	if st.Plaintext != nil {
		named += fmt.Sprintf(", encrypted, holding an archive of SHA-256 %s (%d bytes)", st.Plaintext.SHA256, st.Plaintext.Bytes)
	}
	return "", fmt.Sprintf("the signature is for another archive, or this one was changed: the signed statement names %s as %s, and this archive has SHA-256 %s (%d bytes)",
		clean(a.Name), named, d.sha256, d.bytes)
}

// addSignature records a signature check; a failed one fails verify.
func (v *verifyReport) addSignature(c *signatureCheck) {
	v.Signature = c
	if !c.OK {
		v.OK = false
		v.Problems = append(v.Problems, verifyProblem{Problem: "signature: " + c.Problem})
	}
}

// fileDigest hashes the archive at path (standard input from its offset
// for "-") as sha256sum would.
func fileDigest(path string) (string, int64, error) {
	var src io.Reader
	if path == "-" {
		off, _ := os.Stdin.Seek(0, io.SeekCurrent)
		src = io.NewSectionReader(os.Stdin, off, 1<<62)
	} else {
		f, err := os.Open(path)
		if err != nil {
			return "", 0, err
		}
		defer f.Close()
		src = f
	}
	h := sha256.New()
	n, err := io.Copy(h, src)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// hashReader hashes and counts what passes through it.
type hashReader struct {
	r io.Reader
	h *hashCount
}

func newHashReader(r io.Reader) *hashReader { return &hashReader{r: r, h: newHashCount(io.Discard)} }

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

func (h *hashReader) sum() (string, int64) {
	return hex.EncodeToString(h.h.h.Sum(nil)), h.h.n
}

// verifyStreamed verifies the archive read from src in one forward pass,
// decrypting it when it is an age file: a pipe, or an encrypted file.
func verifyStreamed(ctx context.Context, o verifyOpts, src *bufio.Reader, name string, stdout io.Writer) error {
	raw := newHashReader(src)
	var in io.Reader = raw
	var as *ageStream
	if head, _ := src.Peek(len(ageMagic)); isAge(head) {
		var err error
		if as, err = decryptStream(raw, name, &o.keys); err != nil {
			return verifyOpenError(err)
		}
		in = as
	}
	res, err := streamVerify(ctx, in, name)
	if err != nil && as != nil && as.cut != nil {
		return &codeError{code: exitFailure, err: &kindError{kind: kindCorrupt, err: fmt.Errorf("verify %s: %s", name, as.problem())}}
	}
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, raw) // the rest of a cut age stream, for the file's digest
	why := ""
	if !res.Complete {
		why = incompleteWhy(res.Inconsistent, res.End, res.Trailer, res.Unfooted, res.Damaged)
	}
	out := newVerifyReport(res.VerifyResult, res.Recovered, why, func(i int) *format.Region {
		if d := res.Region(i); d != nil {
			return &format.Region{Desc: *d}
		}
		return nil
	})
	plain := hex.EncodeToString(res.SHA256[:])
	d := archiveDigests{sha256: plain, bytes: res.Size}
	if as != nil {
		sum, n := raw.sum()
		out.SHA256, out.Encrypted = plain, &encryptedReport{Format: "age", SHA256: sum, Bytes: n}
		d = archiveDigests{sha256: sum, bytes: n, encrypted: true, plainSHA256: plain, plainBytes: res.Size}
		if p := as.problem(); p != "" {
			out.OK = false
			out.Problems = append(out.Problems, verifyProblem{Offset: res.Size, Problem: p})
		}
	}
	if o.pub != nil {
		out.addSignature(checkSignature(o.sigPath(name), o.pub, d))
	}
	return reportVerify(stdout, name, o, out)
}

// streamVerify runs format.VerifyStream so that ctx (Ctrl-C, SIGTERM)
// interrupts it at once: a read from a stalled pipe does not see ctx.
func streamVerify(ctx context.Context, in io.Reader, name string) (*format.StreamResult, error) {
	type outcome struct {
		res *format.StreamResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := format.VerifyStream(ctx, in)
		done <- outcome{res, err}
	}()
	var res outcome
	select {
	case res = <-done:
	case <-ctx.Done():
	}
	if ctx.Err() != nil {
		return nil, &codeError{code: exitUsage, err: fmt.Errorf("verification interrupted (%v): nothing is known about the archive", context.Cause(ctx))}
	}
	if res.err != nil {
		if name == "-" {
			name = "standard input"
		}
		return nil, verifyOpenError(fmt.Errorf("verify %s: %w", name, res.err))
	}
	return res.res, nil
}

// printSealed adds what verify found of encryption and signature.
func printSealed(w io.Writer, v *verifyReport) {
	if e := v.Encrypted; e != nil {
		fmt.Fprintf(w, "  encrypted with age: the file as stored has SHA-256 %s (%s); the archive inside it has SHA-256 %s\n", e.SHA256, human(uint64(e.Bytes)), v.SHA256)
	}
	c := v.Signature
	if c == nil || !c.OK {
		return
	}
	st := c.Statement
	what, sum := "this archive", st.Archive.SHA256
	if c.Matched == "plaintext" {
		what, sum = "this archive, the decrypted copy of the encrypted one it names", st.Plaintext.SHA256
	}
	fmt.Fprintf(w, "  signature: good: %s signed by %s on %s, for %s, SHA-256 %s\n", clean(c.File), c.Signer, clean(st.Signed), what, clean(sum))
	fmt.Fprintf(w, "  signed provenance: pid %d (%s) on %s (boot id %s), captured %s to %s by procsnap %s, %s\n",
		st.Target.PID, clean(st.Target.Comm), clean(st.Host.Hostname), clean(st.Host.BootID), clean(st.CaptureStart), clean(st.CaptureEnd),
		clean(st.ToolVersion), map[bool]string{true: "complete", false: "incomplete: " + clean(st.Incomplete)}[st.Complete])
	if cf := st.Case; cf != (caseFields{}) {
		fmt.Fprintf(w, "  signed case: case %q, evidence id %q, examiner %q, note %q\n", cf.Case, cf.EvidenceID, cf.Examiner, cf.Note)
	}
}
