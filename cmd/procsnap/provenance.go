package main

// The signed provenance statement of an archive (issue 20), and the
// ARCHIVE.sig file that carries it: the statement (JSON, documented in
// docs/FORMAT.md) followed by an SSH signature of exactly its bytes
// (ssh-keygen -Y sign format, namespace "procsnap"), so that
// ssh-keygen -Y verify checks it too.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/sshsig"
	"golang.org/x/crypto/ssh"
)

const (
	provenanceType = "procsnap-provenance/1"
	sigNamespace   = "procsnap"
	sigBegin       = "-----BEGIN SSH SIGNATURE-----"
	// maxSigFile bounds a signature file: a statement holds a few short
	// fields and a note.
	maxSigFile = 1 << 20
)

// provenance is the statement a signature covers. It is stored in clear
// beside the archive, so it holds nothing of the target's memory,
// environment or command line.
type provenance struct {
	Type         string         `json:"type"`
	Archive      provArchive    `json:"archive"`
	Plaintext    *provPlaintext `json:"plaintext,omitempty"`
	Complete     bool           `json:"complete"`
	Incomplete   string         `json:"incomplete_reason,omitempty"`
	Target       provTarget     `json:"target"`
	Host         provHost       `json:"host"`
	CaptureStart string         `json:"capture_start"`
	CaptureEnd   string         `json:"capture_end"`
	Signed       string         `json:"signed"`
	ToolVersion  string         `json:"tool_version"`
	Case         caseFields     `json:"case"`
	Signer       string         `json:"signer"`
	Fingerprint  string         `json:"signer_fingerprint"`
}

// provArchive is the file as written: its SHA-256 is what sha256sum and
// the sidecar show (of the ciphertext, when it is encrypted).
type provArchive struct {
	Name       string   `json:"name"`
	Bytes      int64    `json:"bytes"`
	SHA256     string   `json:"sha256"`
	Encrypted  bool     `json:"encrypted"`
	Recipients []string `json:"recipients,omitempty"`
}

// provPlaintext is the procsnap archive inside an encrypted one, as
// age -d gives it.
type provPlaintext struct {
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

type provTarget struct {
	PID       int    `json:"pid"`
	Comm      string `json:"comm"`
	Exe       string `json:"exe"`
	ExeSHA256 string `json:"exe_sha256,omitempty"`
}

type provHost struct {
	Hostname      string `json:"hostname"`
	KernelRelease string `json:"kernel_release"`
	Machine       string `json:"machine"`
	BootID        string `json:"boot_id"`
}

// caseFields are what the examiner gave at capture.
type caseFields struct {
	Case       string `json:"case,omitempty"`
	EvidenceID string `json:"evidence_id,omitempty"`
	Examiner   string `json:"examiner,omitempty"`
	Note       string `json:"note,omitempty"`
}

func metaCase(m *format.Meta) caseFields {
	return caseFields{Case: m.Case, EvidenceID: m.EvidenceID, Examiner: m.Examiner, Note: m.Note}
}

// newProvenance describes a capture whose archive was written as w (and
// holds the plaintext p when it is encrypted).
func newProvenance(m *format.Meta, finished time.Time, complete bool, reason string, w provArchive, p *provPlaintext, signer ssh.PublicKey) *provenance {
	st := &provenance{Type: provenanceType, Archive: w, Plaintext: p, Complete: complete, Incomplete: reason,
		Signed: time.Now().UTC().Format(time.RFC3339Nano), ToolVersion: version,
		Signer: authorizedKey(signer), Fingerprint: ssh.FingerprintSHA256(signer)}
	if m != nil {
		st.Target = provTarget{PID: m.PID, Comm: m.Comm, Exe: m.Exe, ExeSHA256: m.ExeSHA256}
		st.Host = provHost{Hostname: m.Host.Hostname, KernelRelease: m.Host.KernelRelease, Machine: m.Host.Machine, BootID: m.Host.BootID}
		st.CaptureStart, st.Case = m.CaptureStart.Format(time.RFC3339Nano), metaCase(m)
	}
	if !finished.IsZero() {
		st.CaptureEnd = finished.Format(time.RFC3339Nano)
	}
	return st
}

// signStatement returns a signature file: the statement, then its SSH
// signature.
func signStatement(st *provenance, signer ssh.Signer) ([]byte, error) {
	body, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, err
	}
	body = append(body, '\n')
	sig, err := sshsig.Sign(signer, sigNamespace, body)
	if err != nil {
		return nil, err
	}
	return append(body, sig...), nil
}

// signedStatement is a parsed signature file whose signature matches its
// statement.
type signedStatement struct {
	st  *provenance
	key ssh.PublicKey // the key that made the signature
}

// parseSigFile reads a signature file and checks that its signature
// covers its statement. It says nothing about whom to trust.
func parseSigFile(b []byte) (*signedStatement, error) {
	if len(b) > maxSigFile {
		return nil, fmt.Errorf("%d bytes, above the limit of %d: not a procsnap signature", len(b), maxSigFile)
	}
	i := bytes.Index(b, []byte("\n"+sigBegin))
	if i < 0 {
		return nil, errors.New("no SSH signature in it (cut short, or not a procsnap signature file)")
	}
	body, armored := b[:i+1], b[i+1:]
	sig, err := sshsig.Parse(armored)
	if err != nil {
		return nil, err
	}
	if err := sig.Verify(sigNamespace, body); err != nil {
		return nil, fmt.Errorf("the signature does not cover the statement (the statement or the signature was changed): %w", err)
	}
	st, err := parseStatement(body)
	if err != nil {
		return nil, err
	}
	if st.Signer != authorizedKey(sig.PublicKey) {
		return nil, errors.New("the statement names another signer than the key that signed it")
	}
	return &signedStatement{st: st, key: sig.PublicKey}, nil
}

// parseStatement decodes a statement and checks the fields verify uses.
func parseStatement(body []byte) (*provenance, error) {
	var st provenance
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, fmt.Errorf("the statement is not valid JSON: %w", err)
	}
	if st.Type != provenanceType {
		return nil, fmt.Errorf("the statement's type is %q, not %q", clean(shorten(st.Type)), provenanceType)
	}
	if !isSHA256Hex(st.Archive.SHA256) || (st.Plaintext != nil && !isSHA256Hex(st.Plaintext.SHA256)) {
		return nil, errors.New("the statement's SHA-256 is not 64 hex digits")
	}
	if st.Archive.Encrypted != (st.Plaintext != nil) {
		return nil, errors.New("the statement says the archive is encrypted without its plaintext's digest, or the reverse")
	}
	return &st, nil
}

func isSHA256Hex(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32
}
