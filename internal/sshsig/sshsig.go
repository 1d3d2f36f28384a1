package sshsig

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

const (
	magic      = "SSHSIG"
	version    = 1
	armorBegin = "-----BEGIN SSH SIGNATURE-----"
	armorEnd   = "-----END SSH SIGNATURE-----"
	// MaxArmored bounds an armored signature: an RSA-16384 key and its
	// signature take under 6 KiB.
	MaxArmored = 64 << 10
)

// Signature is a parsed SSH signature.
type Signature struct {
	PublicKey ssh.PublicKey // the signer's key, as the signature names it
	Namespace string        // what the signature is for, e.g. "procsnap"
	HashAlg   string        // "sha512" or "sha256": how the message was hashed
	Sig       *ssh.Signature
}

// Sign signs message for namespace with signer, hashing it with SHA-512
// as ssh-keygen does, and returns the armored signature.
func Sign(signer ssh.Signer, namespace string, message []byte) ([]byte, error) {
	if namespace == "" {
		return nil, errors.New("sshsig: empty namespace")
	}
	data := signedData(namespace, "sha512", message)
	var sig *ssh.Signature
	var err error
	if as, ok := signer.(ssh.AlgorithmSigner); ok && signer.PublicKey().Type() == ssh.KeyAlgoRSA {
		sig, err = as.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSASHA512)
	} else {
		sig, err = signer.Sign(rand.Reader, data)
	}
	if err != nil {
		return nil, fmt.Errorf("sshsig: sign: %w", err)
	}
	var b []byte
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint32(b, version)
	b = appendString(b, signer.PublicKey().Marshal())
	b = appendString(b, []byte(namespace))
	b = appendString(b, nil) // reserved
	b = appendString(b, []byte("sha512"))
	b = appendString(b, ssh.Marshal(sig))
	return armor(b), nil
}

// Verify checks that s signs message for namespace. It does not say
// whether the key is one to trust: compare s.PublicKey with the key you
// expect.
func (s *Signature) Verify(namespace string, message []byte) error {
	if s.Namespace != namespace {
		return fmt.Errorf("the signature is for namespace %q, not %q", s.Namespace, namespace)
	}
	if err := checkFormat(s.PublicKey.Type(), s.Sig.Format); err != nil {
		return err
	}
	if err := s.PublicKey.Verify(signedData(namespace, s.HashAlg, message), s.Sig); err != nil {
		return fmt.Errorf("the signature does not match: %w", err)
	}
	return nil
}

// checkFormat refuses signature algorithms ssh-keygen refuses (RSA with
// SHA-1) and a format that is not the key's.
func checkFormat(keyType, format string) error {
	ok := format == keyType
	if keyType == ssh.KeyAlgoRSA {
		ok = format == ssh.KeyAlgoRSASHA256 || format == ssh.KeyAlgoRSASHA512
	}
	if !ok {
		return fmt.Errorf("a %q signature from a %q key is not accepted", format, keyType)
	}
	return nil
}

// signedData is what the signer signs: the message's hash, bound to the
// namespace.
func signedData(namespace, hashAlg string, message []byte) []byte {
	var h []byte
	if hashAlg == "sha256" {
		s := sha256.Sum256(message)
		h = s[:]
	} else {
		s := sha512.Sum512(message)
		h = s[:]
	}
	var b []byte
	b = append(b, magic...)
	b = appendString(b, []byte(namespace))
	b = appendString(b, nil)
	b = appendString(b, []byte(hashAlg))
	return appendString(b, h)
}

func appendString(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// armor wraps blob as ssh-keygen does: base64 in lines of 70 columns.
func armor(blob []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(blob)
	var b strings.Builder
	b.WriteString(armorBegin + "\n")
	for len(enc) > 70 {
		b.WriteString(enc[:70] + "\n")
		enc = enc[70:]
	}
	b.WriteString(enc + "\n" + armorEnd + "\n")
	return []byte(b.String())
}

// dearmor returns the blob of an armored signature: the BEGIN line, base64
// lines, the END line, and nothing but blank space after it.
func dearmor(armored []byte) ([]byte, error) {
	if len(armored) > MaxArmored {
		return nil, fmt.Errorf("sshsig: armored signature of %d bytes is above the limit of %d", len(armored), MaxArmored)
	}
	text := strings.TrimLeft(string(armored), "\r\n\t ")
	body, ok := strings.CutPrefix(text, armorBegin)
	if !ok {
		return nil, fmt.Errorf("sshsig: no %q line", armorBegin)
	}
	body, rest, ok := strings.Cut(body, armorEnd)
	if !ok {
		return nil, fmt.Errorf("sshsig: no %q line (cut short?)", armorEnd)
	}
	if strings.TrimSpace(rest) != "" {
		return nil, errors.New("sshsig: text after the signature's END line")
	}
	body = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, body)
	blob, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("sshsig: bad base64: %w", err)
	}
	return blob, nil
}

// Parse reads an armored SSH signature.
func Parse(armored []byte) (*Signature, error) {
	blob, err := dearmor(armored)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(blob, []byte(magic)) {
		return nil, errors.New("sshsig: not an SSH signature (no SSHSIG magic)")
	}
	r := reader{b: blob[len(magic):]}
	if v := r.uint32(); r.err == nil && v != version {
		return nil, fmt.Errorf("sshsig: version %d, want %d", v, version)
	}
	pub, ns, _, alg, sig := r.string(), r.string(), r.string(), r.string(), r.string()
	if r.err != nil {
		return nil, fmt.Errorf("sshsig: %w", r.err)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("sshsig: %d bytes after the signature", len(r.b))
	}
	return parseFields(pub, ns, alg, sig)
}

func parseFields(pub, ns, alg, sig []byte) (*Signature, error) {
	s := &Signature{Namespace: string(ns), HashAlg: string(alg)}
	if s.HashAlg != "sha512" && s.HashAlg != "sha256" {
		return nil, fmt.Errorf("sshsig: unknown hash algorithm %q", alg)
	}
	var err error
	if s.PublicKey, err = ssh.ParsePublicKey(pub); err != nil {
		return nil, fmt.Errorf("sshsig: the signer's key: %w", err)
	}
	sr := reader{b: sig}
	s.Sig = &ssh.Signature{Format: string(sr.string()), Blob: sr.string()}
	if sr.err != nil || len(sr.b) != 0 {
		return nil, errors.New("sshsig: malformed signature field")
	}
	return s, nil
}

// reader reads SSH wire fields, checking each length against what is left.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uint32() uint32 {
	if r.err != nil || len(r.b) < 4 {
		r.err = errors.New("cut short")
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *reader) string() []byte {
	n := r.uint32()
	if r.err != nil || uint64(n) > uint64(len(r.b)) {
		r.err = errors.New("a field runs past the end of the signature")
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}
