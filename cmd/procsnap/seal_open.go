package main

// Reading encrypted archives (issue 20): an age file whose plaintext is a
// procsnap archive. A file is read with random access through
// age.DecryptReaderAt (each 64 KiB age chunk is decrypted and
// authenticated when a read touches it); a pipe, and a file whose last age
// chunk is missing (a capture cut short), are decrypted as a stream.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"filippo.io/age"
	"github.com/procsnap/procsnap/format"
	"github.com/spf13/pflag"
)

// ageMagic starts every age file ("age-encryption.org/v1" and its line
// feed for this version).
const ageMagic = "age-encryption.org/"

// isAge says whether b, the first bytes of a file, start an age file.
func isAge(b []byte) bool { return bytes.HasPrefix(b, []byte(ageMagic)) }

// archiveKeys are the --identity files an offline verb was given.
type archiveKeys struct {
	paths []string
	ids   []age.Identity
}

func (k *archiveKeys) flag(fs *pflag.FlagSet) {
	fs.StringArrayVar(&k.paths, "identity", nil, "age identity `FILE` or unencrypted ssh private key that decrypts an encrypted archive (repeatable)")
}

// load reads the identity files given.
func (k *archiveKeys) load() (err error) {
	k.ids, err = loadIdentities(k.paths)
	return err
}

// sealedFile says whether the regular file at path starts an age file.
func sealedFile(path string) bool {
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, len(ageMagic))
	n, _ := io.ReadFull(f, b)
	return isAge(b[:n])
}

// errCutShort marks an encrypted archive whose payload does not end as
// age requires: its last chunk is missing or does not authenticate.
var errCutShort = errors.New("cut short")

// openSealed opens an encrypted archive of size bytes in ra with random
// access; c is closed with the Reader (nil: nothing to close).
func openSealed(ra io.ReaderAt, size int64, name string, keys *archiveKeys, c io.Closer) (*format.Reader, error) {
	hdr, err := age.ExtractHeader(io.NewSectionReader(ra, 0, size))
	if err != nil {
		return nil, &kindError{kind: kindCorrupt, err: fmt.Errorf("open archive: %s: an age file whose header is damaged: %v", name, err)}
	}
	if len(keys.ids) == 0 {
		return nil, needIdentity(name, hdr)
	}
	pra, psize, err := age.DecryptReaderAt(ra, size, keys.ids...)
	if err != nil {
		return nil, sealedError(name, hdr, err, true)
	}
	r, err := format.NewReaderCloser(ageReaderAt{pra}, psize, c)
	if err != nil {
		return nil, fmt.Errorf("open archive: %s (decrypted): %w", name, err)
	}
	return r, nil
}

// needIdentity says that name is encrypted and to whom.
func needIdentity(name string, hdr []byte) error {
	return keyErrorf("%s is encrypted with age (to %s): give --identity FILE with a private key it was encrypted to (an age identity file or an ssh private key)",
		name, recipientsOf(hdr))
}

// sealedError explains why an encrypted archive could not be decrypted.
// payload: the header was read whole (a failure after it is the payload's).
func sealedError(name string, hdr []byte, err error, payload bool) error {
	var nm *age.NoIdentityMatchError
	switch {
	case errors.As(err, &nm):
		return keyErrorf("%s is encrypted with age (to %s), and no --identity given matches any of them: give the private key of one of its recipients",
			name, describeRecipients(nm.StanzaTypes))
	case strings.Contains(err.Error(), "header MAC"):
		return &kindError{kind: kindCorrupt, err: fmt.Errorf("open archive: %s: the age header was changed after it was written (its MAC does not match): damaged or tampered with", name)}
	case payload:
		return &kindError{kind: kindCorrupt, err: fmt.Errorf("open archive: %s: the encrypted archive does not end as age requires (%v): %w, by a full disk or an interrupted or killed capture, or tampered with. "+
			"verify, info and list read what it holds; for other verbs decrypt what there is to a file first: age -d -i KEY %s > plain.psnap (that writes the plaintext memory to disk)",
			name, err, errCutShort, name)}
	}
	return &kindError{kind: kindCorrupt, err: fmt.Errorf("open archive: %s: cannot decrypt it: %v", name, err)}
}

// recipientsOf summarises an age header's recipient stanzas, e.g.
// "2 recipients: X25519, ssh-ed25519".
func recipientsOf(hdr []byte) string {
	var types []string
	for _, line := range strings.Split(string(hdr), "\n") {
		if t, ok := strings.CutPrefix(line, "-> "); ok {
			kind, _, _ := strings.Cut(t, " ")
			types = append(types, kind)
		}
	}
	return describeRecipients(types)
}

// describeRecipients counts recipient stanzas and names their types.
func describeRecipients(types []string) string {
	kinds := map[string]bool{}
	for _, t := range types {
		if len(kinds) < 8 {
			kinds[clean(shorten(t))] = true
		}
	}
	n := len(types)
	var ks []string
	for k := range kinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return fmt.Sprintf("%s: %s", plural(n, "recipient"), strings.Join(ks, ", "))
}

// ageReaderAt is the plaintext of an encrypted archive; it says what a
// chunk that fails to decrypt means.
type ageReaderAt struct{ ra io.ReaderAt }

func (a ageReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := a.ra.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("the encrypted archive is damaged or was tampered with (age: %v)", err)
	}
	return n, err
}

// ageStream is the plaintext of an encrypted archive read as a stream. A
// chunk that does not decrypt and authenticate ends it: what came before
// was authenticated, and the procsnap reader sees an archive cut off
// there; cut says why.
type ageStream struct {
	r   io.Reader
	cut error
}

func (s *ageStream) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		s.cut = err
		err = io.EOF
	}
	return n, err
}

// problem describes the cut, or is "".
func (s *ageStream) problem() string {
	if s.cut == nil {
		return ""
	}
	return fmt.Sprintf("the encrypted archive ends in a part that does not decrypt (age: %v): it was cut short or tampered with; what came before it decrypted and authenticated", s.cut)
}

// decryptStream starts decrypting an age stream (the header and identities
// are checked here, the payload as it is read).
func decryptStream(src io.Reader, name string, keys *archiveKeys) (*ageStream, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	if len(keys.ids) == 0 {
		hdr, err := age.ExtractHeader(br)
		if err != nil {
			return nil, &kindError{kind: kindCorrupt, err: fmt.Errorf("%s: an age file whose header is damaged: %v", name, err)}
		}
		return nil, needIdentity(name, hdr)
	}
	dec, err := age.Decrypt(br, keys.ids...)
	if err != nil {
		return nil, sealedError(name, nil, err, false)
	}
	return &ageStream{r: dec}, nil
}
