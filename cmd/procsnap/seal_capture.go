package main

// capture's sealed evidence (issue 20): the case fields, encryption to age
// recipients as the archive streams (no plaintext byte of the target's
// memory reaches the output), the ARCHIVE.sha256 sidecar and the signed
// provenance statement (ARCHIVE.sig), written once the archive is in place.

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"filippo.io/age"
	"github.com/procsnap/procsnap/snapshot/capture"
	"github.com/spf13/pflag"
	"golang.org/x/crypto/ssh"
)

// evidenceOpts are capture's flags for the case and for sealing.
type evidenceOpts struct {
	recipients, recipientsFiles    []string
	sign, signOutput               string
	noSidecar                      bool
	caseName, evidenceID, examiner string
}

func (e *evidenceOpts) flags(fs *pflag.FlagSet) {
	fs.StringVar(&e.caseName, "case", "", "case name or number (`TEXT`), stored in the metadata and the signed provenance")
	fs.StringVar(&e.evidenceID, "evidence-id", "", "evidence item identifier (`TEXT`), stored in the metadata")
	fs.StringVar(&e.examiner, "examiner", "", "who captures (`NAME`), stored in the metadata")
	fs.StringArrayVar(&e.recipients, "recipient", nil, "encrypt the archive as it is written, with age, to `RECIPIENT`: an age public key (age1...) or an ssh-ed25519 or ssh-rsa public key line (repeatable)")
	fs.StringArrayVar(&e.recipientsFiles, "recipients-file", nil, "encrypt to every recipient listed in `FILE`, one a line, # comments (repeatable)")
	fs.StringVar(&e.sign, "sign", "", "sign the archive's provenance (SHA-256, host, boot id, times, case) with the ed25519 private key in `FILE` (OpenSSH or PKCS#8 PEM, unencrypted): writes ARCHIVE.sig")
	fs.StringVar(&e.signOutput, "sign-output", "", "the signature `FILE` (default ARCHIVE.sig; required with -o - or a device, FIFO or socket)")
	fs.BoolVar(&e.noSidecar, "no-sidecar", false, "do not write ARCHIVE.sha256 (sha256sum -c format) beside an archive file")
}

// maxCaseField bounds --case, --evidence-id and --examiner.
const maxCaseField = 1024

// caseOptions checks the case fields and puts them in opts.
func (e evidenceOpts) caseOptions(opts *capture.Options) error {
	for flag, v := range map[string]string{"--case": e.caseName, "--evidence-id": e.evidenceID, "--examiner": e.examiner} {
		if len(v) > maxCaseField {
			return usagef("%s: %d bytes, at most %d", flag, len(v), maxCaseField)
		}
	}
	opts.Case, opts.EvidenceID, opts.Examiner = e.caseName, e.evidenceID, e.examiner
	return nil
}

// manifestCase is the case fields of a set's manifest (nil when none).
func (e evidenceOpts) manifestCase(note string) *caseFields {
	c := caseFields{Case: e.caseName, EvidenceID: e.evidenceID, Examiner: e.examiner, Note: note}
	if c == (caseFields{}) {
		return nil
	}
	return &c
}

// refuseSet refuses sealing a capture set, which this version does not do.
func (e evidenceOpts) refuseSet() error {
	if len(e.recipients)+len(e.recipientsFiles) > 0 || e.sign != "" || e.signOutput != "" {
		return usagef("--recipient, --recipients-file and --sign seal one archive; a set of several processes is not sealed yet: capture each process on its own, or encrypt the set's tar stream (procsnap capture -o - ... | age -r RECIPIENT > set.tar.age)")
	}
	return nil
}

// sealer seals one archive.
type sealer struct {
	recips     []age.Recipient
	recipTexts []string
	signer     ssh.Signer
	noSidecar  bool
	signOutput string
	sidecar    string         // ARCHIVE.sha256, or "" for none
	sigPath    string         // the signature file, or "" for none
	raw        *hashCount     // the bytes as written, under the encryption
	enc        io.WriteCloser // the age writer, nil when not encrypting
}

// prepare reads the keys, before anything is opened or touched.
func (e evidenceOpts) prepare(output string) (*sealer, error) {
	s := &sealer{noSidecar: e.noSidecar, signOutput: e.signOutput}
	var err error
	if s.recips, s.recipTexts, err = loadRecipients(e.recipients, e.recipientsFiles); err != nil {
		return nil, err
	}
	if len(s.recips) > 0 {
		if _, err := age.Encrypt(io.Discard, s.recips...); err != nil {
			return nil, usagef("--recipient: %v", err)
		}
	}
	switch {
	case e.signOutput != "" && e.sign == "":
		return nil, usagef("--sign-output needs --sign KEY")
	case e.signOutput == "-":
		return nil, usagef("--sign-output needs a file name: the archive may be on standard output")
	case e.sign == "":
		return s, nil
	case output == "-" && e.signOutput == "":
		return nil, usagef("--sign with -o -: give --sign-output FILE for the signature (there is no ARCHIVE.sig beside standard output)")
	}
	if s.signer, err = loadSigner(e.sign); err != nil {
		return nil, err
	}
	return s, nil
}

// begin decides the side files of out and starts the encryption; it
// returns where capture writes.
func (s *sealer) begin(out *output, force bool) (io.Writer, error) {
	if out.regular() && !s.noSidecar {
		s.sidecar = out.name + ".sha256"
	}
	if s.signer != nil {
		s.sigPath = s.signOutput
		if s.sigPath == "" && !out.regular() {
			return nil, usagef("--sign with -o %s (not a regular file): give --sign-output FILE for the signature", out.name)
		}
		if s.sigPath == "" {
			s.sigPath = out.name + ".sig"
		}
	}
	for _, p := range []string{s.sidecar, s.sigPath} {
		if err := checkSideFile(p, force); err != nil {
			return nil, err
		}
	}
	s.raw = newHashCount(out.w)
	if len(s.recips) == 0 {
		return out.w, nil
	}
	s.enc = &lazyAge{dst: s.raw, recips: s.recips}
	return s.enc, nil
}

// lazyAge encrypts to recips what is written to it, writing the age
// header with the first byte: a capture that fails before it writes
// anything leaves nothing in the output.
type lazyAge struct {
	dst    io.Writer
	recips []age.Recipient
	w      io.WriteCloser
	err    error
}

func (l *lazyAge) Write(p []byte) (int, error) {
	if l.w == nil && l.err == nil {
		if l.w, l.err = age.Encrypt(l.dst, l.recips...); l.err != nil {
			l.err = fmt.Errorf("encrypt: %w", l.err)
		}
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.w.Write(p)
}

// Close writes age's last chunk.
func (l *lazyAge) Close() error {
	if l.w == nil {
		return l.err
	}
	return l.w.Close()
}

// checkSideFile refuses a side file that exists, unless --force may
// replace it (a regular file).
func checkSideFile(path string, force bool) error {
	if path == "" {
		return nil
	}
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s exists and is not a regular file: procsnap writes it as a file (remove it, or use --no-sidecar / --sign-output)", path)
	case !force:
		return fmt.Errorf("%s already exists (use --force to overwrite it)", path)
	}
	return nil
}

// close ends the encryption: age's last chunk is written.
func (s *sealer) close() error {
	if s.enc == nil {
		return nil
	}
	return s.enc.Close()
}

// written is the SHA-256 and size of the bytes as written.
func (s *sealer) written(res *capture.Result) ([32]byte, int64) {
	if s.enc == nil {
		return res.SHA256, res.ArchiveBytes
	}
	var d [32]byte
	copy(d[:], s.raw.h.Sum(nil))
	return d, s.raw.n
}

// shown is res as the summary shows it: the digest and size of what was
// written.
func (s *sealer) shown(res *capture.Result) *capture.Result {
	r := *res
	r.SHA256, r.ArchiveBytes = s.written(res)
	return &r
}

// commit puts the archive in place (output.commit: synced, renamed over
// the old file with --force), then writes its signature and sidecar; it
// returns the lines the summary adds.
func (s *sealer) commit(out *output, res *capture.Result, force bool) ([]string, error) {
	if err := out.commit(); err != nil {
		return nil, err
	}
	sum, n := s.written(res)
	var notes []string
	var errs []error
	if s.enc != nil {
		notes = append(notes, fmt.Sprintf("procsnap: encrypted with age to %s: the SHA-256 below is of the encrypted file as written (%s); the archive inside it (age -d) has SHA-256 %x (%s)",
			plural(len(s.recips), "recipient"), human(uint64(n)), res.SHA256, human(uint64(res.ArchiveBytes))))
	}
	if s.sigPath != "" {
		if err := s.writeSignature(out, res, sum, n, force); err != nil {
			errs = append(errs, err)
		} else {
			notes = append(notes, fmt.Sprintf("procsnap: signed by %s: %s", keyID(s.signer.PublicKey()), s.sigPath))
		}
	}
	if s.sidecar != "" {
		if note, err := writeSidecar(s.sidecar, sum[:], out.name, force); err != nil {
			errs = append(errs, err)
		} else {
			notes = append(notes, note)
		}
	}
	return notes, errors.Join(errs...)
}

// writeSignature signs the provenance of the archive written as sum, n.
func (s *sealer) writeSignature(out *output, res *capture.Result, sum [32]byte, n int64, force bool) error {
	a := provArchive{Name: filepath.Base(out.name), Bytes: n, SHA256: hex.EncodeToString(sum[:]), Encrypted: s.enc != nil, Recipients: s.recipTexts}
	var plain *provPlaintext
	if s.enc != nil {
		plain = &provPlaintext{Bytes: res.ArchiveBytes, SHA256: hex.EncodeToString(res.SHA256[:])}
	}
	st := newProvenance(res.Meta, res.Finished, res.Complete, res.Reason, a, plain, s.signer.PublicKey())
	b, err := signStatement(st, s.signer)
	if err != nil {
		return fmt.Errorf("sign %s: %w", out.name, err)
	}
	return writeSideFile(s.sigPath, b, force)
}

// writeSideFile writes a small file beside the archive under the output
// rules (mode 0600; with --force a new file renamed over the old one).
// writeSidecar writes the sidecar path: the line sha256sum prints for the
// file name whose SHA-256 is sum. It returns the summary's note on it.
func writeSidecar(path string, sum []byte, name string, force bool) (string, error) {
	line := fmt.Sprintf("%x  %s\n", sum, filepath.Base(name))
	if err := writeSideFile(path, []byte(line), force); err != nil {
		return "", err
	}
	return fmt.Sprintf("procsnap: checksum: %s (sha256sum -c %s, in its directory)", path, filepath.Base(path)), nil
}

func writeSideFile(path string, data []byte, force bool) error {
	out, err := openOutput(path, force, io.Discard, "a file")
	if err != nil {
		return err
	}
	if _, err := out.w.Write(data); err != nil {
		out.abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := out.commit(); err != nil {
		out.abort()
		return err
	}
	return nil
}
