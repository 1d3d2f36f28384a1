package main

// Where a capture of several processes goes: a directory (one archive per
// process, SHA256SUMS, manifest.json) or, with -o -, the same files as one
// POSIX tar stream (pax) written in order, with no temporary file. A tar
// member must state its size before its bytes, and an archive's size is
// known only once it is written: an archive is held in memory up to the
// part size and becomes one member; a larger one is written as members
// NAME.part-000, NAME.part-001, ... that concatenate to it (cat), each
// listed in SHA256SUMS, and the manifest names them.

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/procsnap/procsnap/internal/writeback"
)

// setOutput receives the files of a set, one after the other.
type setOutput interface {
	// archive begins the archive file name.
	archive(name string) (io.Writer, error)
	// done ends it, and says which files hold it (parts, or name alone;
	// none when nothing was written and it was removed).
	done(keep bool) ([]setFile, error)
	// file writes a whole small file (SHA256SUMS, manifest.json).
	file(name string, data []byte) error
	// close ends the set and returns the summary's last lines: the
	// digest of a tar, as sha256sum prints it, and notes on side files.
	close() ([]string, error)
}

// setFile is one file of a set with its digest.
type setFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// dirSet writes a set into a directory that it creates, or that exists and
// is empty.
type dirSet struct {
	dir string
	cur *os.File
	w   *hashCount
	nm  string
}

func newDirSet(dir string) (*dirSet, error) {
	err := os.Mkdir(dir, 0o700)
	if errors.Is(err, fs.ErrExist) {
		ents, rerr := os.ReadDir(dir)
		switch {
		case rerr != nil:
			return nil, fmt.Errorf("output %s: %w", dir, rerr)
		case len(ents) > 0:
			return nil, fmt.Errorf("output directory %s is not empty: name a new or empty directory for the set", dir)
		}
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("output directory %s: %w", dir, err)
	}
	return &dirSet{dir: dir}, nil
}

func (d *dirSet) archive(name string) (io.Writer, error) {
	f, err := os.OpenFile(filepath.Join(d.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	d.cur, d.nm, d.w = f, name, newHashCount(writeback.New(f))
	return d.w, nil
}

func (d *dirSet) done(keep bool) ([]setFile, error) {
	f := d.cur
	d.cur = nil
	if !keep && d.w.n == 0 {
		f.Close()
		return nil, os.Remove(f.Name())
	}
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return []setFile{d.w.file(d.nm)}, err
}

func (d *dirSet) file(name string, data []byte) error {
	f, err := os.OpenFile(filepath.Join(d.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (d *dirSet) close() ([]string, error) { return nil, nil }

// tarSet writes a set as a tar stream.
type tarSet struct {
	tw       *tar.Writer
	stream   *hashCount // the tar stream, hashed as it goes out
	partSize int
	buf      bytes.Buffer
	name     string
	parts    []setFile
	now      time.Time
}

func newTarSet(w io.Writer, partSize int) *tarSet {
	stream := newHashCount(w)
	return &tarSet{tw: tar.NewWriter(stream), stream: stream, partSize: partSize, now: time.Now()}
}

func (t *tarSet) archive(name string) (io.Writer, error) {
	t.name, t.parts = name, nil
	t.buf.Reset()
	return t, nil
}

// Write takes archive bytes, emitting a part whenever the buffer is full.
func (t *tarSet) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if t.buf.Len() == t.partSize {
			if err := t.emit(fmt.Sprintf("%s.part-%03d", t.name, len(t.parts))); err != nil {
				return n, err
			}
		}
		k := min(len(p), t.partSize-t.buf.Len())
		t.buf.Write(p[:k])
		p, n = p[k:], n+k
	}
	return n, nil
}

func (t *tarSet) done(keep bool) ([]setFile, error) {
	name := t.name
	if len(t.parts) > 0 {
		name = fmt.Sprintf("%s.part-%03d", t.name, len(t.parts))
	} else if !keep && t.buf.Len() == 0 {
		return nil, nil
	}
	err := t.emit(name)
	return t.parts, err
}

// emit writes the buffer as the member name.
func (t *tarSet) emit(name string) error {
	sum := sha256.Sum256(t.buf.Bytes())
	t.parts = append(t.parts, setFile{Name: name, Bytes: int64(t.buf.Len()), SHA256: hex.EncodeToString(sum[:])})
	err := t.file(name, t.buf.Bytes())
	t.buf.Reset()
	return err
}

func (t *tarSet) file(name string, data []byte) error {
	h := &tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: t.now, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := t.tw.WriteHeader(h); err != nil {
		return err
	}
	_, err := t.tw.Write(data)
	return err
}

// close ends the tar stream; its digest is printed for "-".
func (t *tarSet) close() ([]string, error) {
	if err := t.tw.Close(); err != nil {
		return nil, err
	}
	return []string{t.digest("-")}, nil
}

// digest is the line sha256sum prints for the whole tar stream written
// as name: what the examiner compares with the file that arrived.
func (t *tarSet) digest(name string) string {
	return hex.EncodeToString(t.stream.h.Sum(nil)) + "  " + name
}

// tarOutput reports whether -o names a tar file for a set: NAME.tar.
func tarOutput(name string) bool {
	return name != "-" && strings.HasSuffix(name, ".tar") && !isDir(name)
}

// tarFile is a set written as a tar file (-o FILE.tar): the output rules
// of every verb (output.go), and FILE.tar.sha256 beside it unless
// --no-sidecar.
type tarFile struct {
	*tarSet
	out     *output
	force   bool
	sidecar string // FILE.tar.sha256, or "" for none
}

func openTarFile(o captureOpts, stdout io.Writer, partSize int) (*tarFile, error) {
	out, err := openOutput(o.output, o.force, stdout, "a capture set")
	if err != nil {
		return nil, err
	}
	t := &tarFile{tarSet: newTarSet(out.w, partSize), out: out, force: o.force}
	if out.regular() && !o.ev.noSidecar {
		t.sidecar = out.name + ".sha256"
	}
	if err := checkSideFile(t.sidecar, o.force); err != nil {
		out.abort()
		return nil, err
	}
	return t, nil
}

// close ends the tar stream and puts the file in place, then writes the
// sidecar. After a write error the file is kept as far as it goes.
func (t *tarFile) close() ([]string, error) {
	if err := t.tw.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w (%s)", t.out.name, err, t.out.keep())
	}
	if err := t.out.commit(); err != nil {
		return nil, err
	}
	var lines []string
	if t.sidecar != "" {
		note, err := writeSidecar(t.sidecar, t.stream.h.Sum(nil), t.out.name, t.force)
		if err != nil {
			return nil, err
		}
		lines = append(lines, note)
	}
	return append(lines, t.digest(t.out.name)), nil
}

// hashCount passes bytes on, hashing and counting them.
type hashCount struct {
	w io.Writer
	h hashWriter
	n int64
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
}

func newHashCount(w io.Writer) *hashCount { return &hashCount{w: w, h: sha256.New()} }

func (c *hashCount) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

func (c *hashCount) file(name string) setFile {
	return setFile{Name: name, Bytes: c.n, SHA256: hex.EncodeToString(c.h.Sum(nil))}
}
