package main

// verify of a capture set (issue 17): a directory that capture -o DIR
// wrote, or the tar stream of capture -o - (a file, or a pipe on standard
// input). Every archive is verified (a tar's members as they stream, with
// no temporary file), SHA256SUMS is checked file by file, and the manifest
// against both.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/procsnap/procsnap/format"
)

// setReport is verify's result for a set, and its JSON shape.
type setReport struct {
	Set      bool              `json:"set"`
	OK       bool              `json:"ok"`
	Archives []setArchiveCheck `json:"archives"`
	Problems []string          `json:"problems"`
	sums     map[string]string // SHA256SUMS: file name to digest
	digests  map[string]string // what the files hold
	manifest *setManifest
}

// setArchiveCheck is one archive of the set.
type setArchiveCheck struct {
	Name       string `json:"name"`
	OK         bool   `json:"ok"`
	Complete   bool   `json:"complete"`
	Incomplete string `json:"incomplete_reason,omitempty"`
	Problems   int    `json:"problems"`
	SHA256     string `json:"sha256"`
}

func newSetReport() *setReport {
	return &setReport{Set: true, Archives: []setArchiveCheck{}, Problems: []string{}, digests: map[string]string{}}
}

// isTarStream says whether b, the first bytes of a file, start a tar archive.
func isTarStream(b []byte) bool {
	return len(b) >= 262 && string(b[257:262]) == "ustar"
}

// verifySetDir verifies the set in directory dir.
func verifySetDir(ctx context.Context, dir string) (*setReport, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	rep := newSetReport()
	for _, e := range ents {
		path := filepath.Join(dir, e.Name())
		switch {
		case e.Name() == "SHA256SUMS" || e.Name() == "manifest.json":
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			rep.meta(e.Name(), b)
		case strings.HasSuffix(e.Name(), ".psnap"):
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			rep.verifyArchive(ctx, e.Name(), f)
			f.Close()
		}
	}
	return rep, rep.judge()
}

// verifySetTar verifies the set in a tar stream read from r.
func verifySetTar(ctx context.Context, r io.Reader) (*setReport, error) {
	tr := tar.NewReader(r)
	rep := newSetReport()
	hdr, err := tr.Next()
	for err == nil {
		name := hdr.Name
		switch {
		case name == "SHA256SUMS" || name == "manifest.json":
			b, rerr := io.ReadAll(io.LimitReader(tr, 64<<20))
			if rerr != nil {
				return nil, rerr
			}
			rep.meta(name, b)
			hdr, err = tr.Next()
		case strings.HasSuffix(name, ".psnap") || partName.MatchString(name):
			pr := &partsReader{tr: tr, first: hdr, rep: rep}
			rep.verifyArchive(ctx, pr.base(), pr)
			hdr, err = pr.next, pr.err
		default:
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: a file that is not part of a capture set", clean(name)))
			hdr, err = tr.Next()
		}
	}
	if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read the tar stream: %w", err)
	}
	return rep, rep.judge()
}

// partName matches NAME.psnap.part-NNN, a member of a split archive.
var partName = regexp.MustCompile(`^(.*\.psnap)\.part-([0-9]{3,})$`)

// partsReader reads one archive from a tar stream: one member, or the
// members NAME.part-000, -001, ... that concatenate to it, hashing each
// member for SHA256SUMS.
type partsReader struct {
	tr    *tar.Reader
	first *tar.Header
	cur   *tar.Header
	h     hashWriter
	n     int
	rep   *setReport
	next  *tar.Header // the member after the archive
	err   error       // what tr.Next said after it
}

func (p *partsReader) base() string {
	if m := partName.FindStringSubmatch(p.first.Name); m != nil {
		return m[1]
	}
	return p.first.Name
}

func (p *partsReader) Read(b []byte) (int, error) {
	if p.cur == nil {
		p.cur, p.h = p.first, sha256.New()
	}
	for {
		n, err := p.tr.Read(b)
		p.h.Write(b[:n])
		if !errors.Is(err, io.EOF) || n > 0 {
			return n, err
		}
		p.rep.digests[p.cur.Name] = hex.EncodeToString(p.h.Sum(nil))
		p.next, p.err = p.tr.Next()
		p.n++
		if p.err != nil || !partName.MatchString(p.first.Name) || p.next.Name != fmt.Sprintf("%s.part-%03d", p.base(), p.n) {
			return 0, io.EOF
		}
		p.cur, p.h = p.next, sha256.New()
	}
}

// verifyArchive verifies one archive as it streams from r.
func (rep *setReport) verifyArchive(ctx context.Context, name string, r io.Reader) {
	h := sha256.New()
	res, err := format.VerifyStream(ctx, io.TeeReader(bufio.NewReaderSize(r, 1<<20), h))
	io.Copy(h, r) // the rest, if VerifyStream stopped early
	sum := hex.EncodeToString(h.Sum(nil))
	if _, ok := rep.digests[name]; !ok {
		rep.digests[name] = sum
	}
	c := setArchiveCheck{Name: name, SHA256: sum}
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", clean(name), err))
	} else {
		c.OK, c.Complete, c.Problems = res.OK, res.Complete, len(res.Problems)
		if !res.Complete {
			c.Incomplete = incompleteWhy(res.Inconsistent, res.End, res.Trailer, res.Unfooted, res.Damaged)
		}
	}
	rep.Archives = append(rep.Archives, c)
}

// meta takes SHA256SUMS or manifest.json.
func (rep *setReport) meta(name string, b []byte) {
	if name == "manifest.json" {
		var m setManifest
		if err := json.Unmarshal(b, &m); err != nil {
			rep.Problems = append(rep.Problems, "manifest.json: "+err.Error())
			return
		}
		rep.manifest = &m
		return
	}
	rep.sums = map[string]string{}
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		sum, file, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 {
			rep.Problems = append(rep.Problems, fmt.Sprintf("SHA256SUMS: line %q is not 'HEX  NAME'", clean(line)))
			continue
		}
		rep.sums[file] = sum
	}
}

// judge checks SHA256SUMS and the manifest against the files and decides.
func (rep *setReport) judge() error {
	rep.checkSums()
	rep.checkManifest()
	sort.Slice(rep.Archives, func(i, j int) bool { return rep.Archives[i].Name < rep.Archives[j].Name })
	rep.OK = len(rep.Problems) == 0
	for _, a := range rep.Archives {
		rep.OK = rep.OK && a.OK
	}
	if len(rep.Archives) == 0 && rep.manifest == nil && rep.sums == nil {
		return errors.New("no archive, SHA256SUMS or manifest.json: this is not a capture set")
	}
	return nil
}

func (rep *setReport) checkSums() {
	if rep.sums == nil {
		rep.Problems = append(rep.Problems, "SHA256SUMS is missing")
		return
	}
	names := make([]string, 0, len(rep.sums))
	for n := range rep.sums {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		switch got, ok := rep.digests[n]; {
		case !ok:
			rep.Problems = append(rep.Problems, fmt.Sprintf("SHA256SUMS lists %s, which the set does not hold", clean(n)))
		case got != rep.sums[n]:
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: SHA-256 %s, SHA256SUMS says %s", clean(n), got, rep.sums[n]))
		}
	}
	for n := range rep.digests {
		if _, ok := rep.sums[n]; !ok && !rep.isSplit(n) {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s is not listed in SHA256SUMS", clean(n)))
		}
	}
}

// isSplit says whether archive n was written in parts (SHA256SUMS then
// lists the parts, not n).
func (rep *setReport) isSplit(n string) bool {
	_, ok := rep.sums[n+".part-000"]
	return ok
}

func (rep *setReport) checkManifest() {
	m := rep.manifest
	if m == nil {
		rep.Problems = append(rep.Problems, "manifest.json is missing")
		return
	}
	whole := map[string]string{}
	for _, a := range rep.Archives {
		whole[a.Name] = a.SHA256
	}
	var missing []string
	for _, p := range m.Processes {
		if p.Archive != "" {
			switch got, ok := whole[p.Archive]; {
			case !ok:
				rep.Problems = append(rep.Problems, fmt.Sprintf("the manifest names %s (PID %d), which the set does not hold", clean(p.Archive), p.PID))
			case got != p.SHA256:
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: SHA-256 %s, the manifest says %s", clean(p.Archive), got, p.SHA256))
			}
		}
		if p.Outcome != outcomeCaptured {
			missing = append(missing, fmt.Sprintf("PID %d %s (%s)", p.PID, p.Outcome, clean(p.Reason)))
		}
	}
	if len(missing) > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("INCOMPLETE: %d of %d selected processes were not captured whole: %s",
			len(missing), len(m.Processes), strings.Join(missing, "; ")))
	}
}

// printSetReport prints the set's verdict, one line per archive.
func printSetReport(w io.Writer, name string, rep *setReport) error {
	var b bytes.Buffer
	verdict := "OK"
	if !rep.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "%s: %s: a capture set of %s\n", clean(name), verdict, plural(len(rep.Archives), "archive"))
	for _, a := range rep.Archives {
		state := "OK"
		switch {
		case !a.OK && a.Complete:
			state = fmt.Sprintf("FAILED: %s", plural(a.Problems, "problem"))
		case !a.OK:
			state = "INCOMPLETE: " + a.Incomplete
		}
		fmt.Fprintf(&b, "  %s: %s\n", clean(a.Name), state)
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	if !rep.OK {
		fmt.Fprintf(&b, "Verify an archive on its own for its problems (procsnap verify ARCHIVE).\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// verifySet verifies a set at name: a directory, a tar file, or a tar
// stream already opened as r (name "-"). It reports and gives the exit.
func verifySet(ctx context.Context, name string, r io.Reader, o verifyOpts, stdout io.Writer) error {
	var rep *setReport
	var err error
	if r == nil {
		rep, err = verifySetDir(ctx, name)
	} else {
		rep, err = verifySetTar(ctx, r)
	}
	if ctx.Err() != nil {
		return &codeError{code: exitUsage, err: fmt.Errorf("verification interrupted (%v)", context.Cause(ctx))}
	}
	if err != nil {
		return &codeError{code: exitFailure, err: fmt.Errorf("%s: %w", name, err)}
	}
	if o.json {
		err = writeJSON(stdout, rep)
	} else {
		err = printSetReport(stdout, name, rep)
	}
	switch {
	case err != nil:
		return &codeError{code: exitUsage, err: err}
	case !rep.OK:
		return &codeError{code: exitFailure}
	}
	return nil
}

// setInput says whether name holds a capture set: a directory (dir true),
// or a file or pipe whose first bytes start a tar stream (r reads it from
// its start). For anything else both are empty and r is nil.
func setInput(name string, stdin *bufio.Reader) (dir bool, r io.Reader, closer io.Closer) {
	if name == "-" {
		if stdinKind() == "a regular file" || isTerminal(os.Stdin) {
			return false, nil, nil // read as an archive at its offset; give a set's path instead
		}
		if b, _ := stdin.Peek(512); isTarStream(b) {
			return false, stdin, nil
		}
		return false, nil, nil
	}
	st, err := os.Stat(name)
	if err != nil {
		return false, nil, nil
	}
	if st.IsDir() {
		return true, nil, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return false, nil, nil
	}
	b := make([]byte, 512)
	n, _ := io.ReadFull(f, b)
	if !isTarStream(b[:n]) {
		f.Close()
		return false, nil, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return false, nil, nil
	}
	return false, f, f
}
