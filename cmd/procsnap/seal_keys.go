package main

// Keys for sealed evidence (issue 20): age recipients to encrypt to, age
// identities to decrypt with, the ed25519 key that signs and the public
// key that checks a signature. Key files are read whole, bounded; their
// contents never appear in a message.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

// maxKeyFile bounds a key, identity or recipients file.
const maxKeyFile = 1 << 20

// kindKey is the JSON error kind of a key problem: an encrypted archive
// without a matching --identity, a key file that cannot be used.
const kindKey = "key"

// keyErrorf is a key problem (JSON kind "key").
func keyErrorf(format string, a ...any) error {
	return &kindError{kind: kindKey, err: fmt.Errorf(format, a...)}
}

// readKeyFile reads a small file whole.
func readKeyFile(path, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	if len(b) > maxKeyFile {
		return nil, keyErrorf("%s %s is larger than %d bytes, above the limit for it", what, path, maxKeyFile)
	}
	return b, nil
}

// parseRecipient reads one --recipient: an age X25519 recipient (age1…),
// a post-quantum one (age1pq1…), or an ssh-ed25519 / ssh-rsa public key.
func parseRecipient(s string) (age.Recipient, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "age1pq1"):
		return age.ParseHybridRecipient(s)
	case strings.HasPrefix(s, "age1"):
		return age.ParseX25519Recipient(s)
	case strings.HasPrefix(s, "ssh-ed25519 "), strings.HasPrefix(s, "ssh-rsa "):
		return agessh.ParseRecipient(s)
	case strings.HasPrefix(s, "AGE-SECRET-KEY-"), strings.Contains(s, "PRIVATE KEY"):
		return nil, errors.New("this is a private key: give the recipient's public key (age-keygen -y, or the .pub file of an ssh key)")
	}
	return nil, errors.New("want an age recipient (age1…) or an ssh-ed25519 or ssh-rsa public key line")
}

// loadRecipients parses every --recipient and every line of every
// --recipients-file (blank lines and # comments skipped).
func loadRecipients(given, files []string) ([]age.Recipient, []string, error) {
	var recips []age.Recipient
	var texts []string
	add := func(s, where string) error {
		r, err := parseRecipient(s)
		if err != nil {
			return usagef("%s: %v", where, err)
		}
		recips, texts = append(recips, r), append(texts, strings.TrimSpace(s))
		return nil
	}
	for _, s := range given {
		if err := add(s, "--recipient "+clean(shorten(s))); err != nil {
			return nil, nil, err
		}
	}
	for _, path := range files {
		b, err := readKeyFile(path, "--recipients-file")
		if err != nil {
			return nil, nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, maxKeyFile)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if err := add(line, fmt.Sprintf("--recipients-file %s line %d", path, n)); err != nil {
				return nil, nil, err
			}
		}
	}
	return recips, texts, nil
}

// shorten cuts a key for a message.
func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// loadIdentities reads --identity files: an ssh private key (PEM: ed25519
// or RSA, unencrypted), or age identities, one a line (AGE-SECRET-KEY-1…).
func loadIdentities(paths []string) ([]age.Identity, error) {
	var ids []age.Identity
	for _, path := range paths {
		b, err := readKeyFile(path, "--identity")
		if err != nil {
			return nil, err
		}
		if bytes.Contains(b, []byte("-----BEGIN")) {
			id, err := agessh.ParseIdentity(b)
			if err != nil {
				return nil, keyErrorf("--identity %s: %v", path, sshKeyError(err))
			}
			ids = append(ids, id)
			continue
		}
		got, err := age.ParseIdentities(bytes.NewReader(b))
		if err != nil {
			return nil, keyErrorf("--identity %s: %v (want an age identity file or an unencrypted ssh private key)", path, err)
		}
		ids = append(ids, got...)
	}
	return ids, nil
}

// sshKeyError says what to do about a private key that cannot be read.
func sshKeyError(err error) error {
	var pm *ssh.PassphraseMissingError
	if errors.As(err, &pm) {
		return errors.New("the key is protected by a passphrase, and procsnap reads unencrypted keys only: use a copy without one (ssh-keygen -p -N '' -f COPY), kept where the examiner's keys are")
	}
	return err
}

// loadSigner reads --sign KEY: an ed25519 private key, in OpenSSH format
// (ssh-keygen -t ed25519) or PKCS#8 PEM (openssl genpkey -algorithm
// ed25519), unencrypted.
func loadSigner(path string) (ssh.Signer, error) {
	b, err := readKeyFile(path, "--sign")
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return nil, keyErrorf("--sign %s: %v", path, sshKeyError(err))
	}
	if t := signer.PublicKey().Type(); t != ssh.KeyAlgoED25519 {
		return nil, keyErrorf("--sign %s: a %s key: procsnap signs with ed25519 keys (ssh-keygen -t ed25519)", path, t)
	}
	return signer, nil
}

// loadPubkey reads --pubkey: a public key line (ssh-ed25519 AAAA…) or a
// file holding one (the .pub of the signing key).
func loadPubkey(arg string) (ssh.PublicKey, error) {
	b := []byte(arg)
	if !strings.HasPrefix(arg, "ssh-") {
		var err error
		if b, err = readKeyFile(arg, "--pubkey"); err != nil {
			return nil, err
		}
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil, keyErrorf("--pubkey %s: %v (want an ssh public key line, e.g. the signing key's .pub file)", clean(shorten(arg)), err)
	}
	return pub, nil
}

// keyID names a public key for people: type and SHA256 fingerprint, as
// ssh-keygen -l shows them.
func keyID(pub ssh.PublicKey) string {
	return pub.Type() + " " + ssh.FingerprintSHA256(pub)
}

// authorizedKey is pub as one authorized_keys line, without a comment.
func authorizedKey(pub ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
}
