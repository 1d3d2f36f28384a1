package main

// The offline verbs on a capture set (issue 17): search searches every
// archive of a set directory and names the process of each hit; info and
// list summarise a set (directory or tar) from its manifest and archives.
// verify is in verify_set.go.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/snapshot/search"
)

// setArchives lists the archives of a set directory, in name order.
func setArchives(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".psnap") && e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no archive (*.psnap): not a capture set", dir)
	}
	return out, nil
}

// searchSet searches every archive of the set in dir. In text, each line
// starts with the process (PID:COMM) it comes from; in JSON the document
// is {"set": true, "archives": [{"archive", "pid", "comm", "search": the
// archive's own search document}]}. Exit: 0 when anything was found, 1
// when nothing was, 2 when an archive could not be searched.
func searchSet(ctx context.Context, dir string, o searchOpts, q *search.Query, stdout, stderr io.Writer) error {
	paths, err := setArchives(dir)
	if err != nil {
		return &codeError{code: exitTrouble, err: err}
	}
	type entry struct {
		Archive string          `json:"archive"`
		PID     int             `json:"pid"`
		Comm    string          `json:"comm"`
		Search  json.RawMessage `json:"search"`
	}
	doc := struct {
		Set      bool    `json:"set"`
		Archives []entry `json:"archives"`
	}{Set: true}
	code := exitNotFound
	for _, path := range paths {
		pid, comm := archiveProcess(path)
		var buf bytes.Buffer
		var w io.Writer = &prefixWriter{w: stdout, prefix: fmt.Sprintf("%d:%s  ", pid, clean(comm))}
		if o.json {
			w = &buf
		}
		err := searchArchive(ctx, path, o, q, w, stderr)
		var ce *codeError
		var se *signalError
		switch {
		case err == nil:
			code = min(code, exitOK)
		case errors.As(err, &ce) && ce.code == exitNotFound:
		case errors.As(err, &se):
			return err // interrupted
		default:
			code = exitTrouble
			fmt.Fprintf(stderr, "procsnap search: %s: %v\n", filepath.Base(path), err)
		}
		if o.json {
			doc.Archives = append(doc.Archives, entry{filepath.Base(path), pid, comm, json.RawMessage(bytes.TrimSpace(buf.Bytes()))})
		}
	}
	if o.json {
		if err := writeJSON(stdout, doc); err != nil {
			return &codeError{code: exitTrouble, err: err}
		}
	}
	if code == exitOK {
		return nil
	}
	return &codeError{code: code}
}

// archiveProcess is the PID and comm an archive's metadata names.
func archiveProcess(path string) (int, string) {
	r, err := format.Open(path)
	if err != nil {
		return 0, "?"
	}
	defer r.Close()
	if m := r.Meta(); m != nil {
		return m.PID, m.Comm
	}
	return 0, "?"
}

// prefixWriter starts every line written through it with prefix.
type prefixWriter struct {
	w      io.Writer
	prefix string
	mid    bool // in the middle of a line
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	var out []byte
	for _, c := range b {
		if !p.mid {
			out = append(out, p.prefix...)
		}
		out = append(out, c)
		p.mid = c != '\n'
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// readSetManifest reads the manifest of a set: DIR/manifest.json, or the
// member manifest.json of a tar (file or stream), which comes last.
func readSetManifest(name string, r io.Reader) (*setManifest, error) {
	var b []byte
	var err error
	if r == nil {
		b, err = os.ReadFile(filepath.Join(name, "manifest.json"))
	} else {
		b, err = tarMember(r, "manifest.json")
	}
	if err != nil {
		return nil, fmt.Errorf("%s: the set's manifest: %w", name, err)
	}
	var m setManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: manifest.json: %w", name, err)
	}
	return &m, nil
}

// tarMember reads the member name of a tar stream, skipping the others.
func tarMember(r io.Reader, name string) ([]byte, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("no %s in the tar stream: %w", name, err)
		}
		if h.Name == name {
			return io.ReadAll(io.LimitReader(tr, 64<<20))
		}
	}
}

// printSetSummary prints a set's manifest as a table (info and list of a
// set), or the manifest itself with --json.
func printSetSummary(w io.Writer, name string, m *setManifest, asJSON bool) error {
	if asJSON {
		return writeJSON(w, m)
	}
	fmt.Fprintf(w, "set             %s (%s)\n", clean(name), clean(m.Format))
	fmt.Fprintf(w, "host            %s, kernel %s, boot id %s\n", clean(m.Host.Hostname), clean(m.Host.KernelRelease), clean(m.Host.BootID))
	fmt.Fprintf(w, "captured        %s to %s by procsnap %s\n", clean(m.Started), clean(m.Finished), clean(m.ToolVersion))
	fmt.Fprintf(w, "selection       %s\n", clean(m.Selection))
	if m.Interrupted != "" {
		fmt.Fprintf(w, "interrupted     %s\n", clean(m.Interrupted))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PID\tUSER\tOUTCOME\tARCHIVE\tSIZE\tFROZEN\tCOMMAND")
	procs := slices.Clone(m.Processes)
	for _, p := range procs {
		size, frozen := "-", "-"
		if p.Archive != "" {
			size, frozen = human(uint64(p.Bytes)), time.Duration(p.FrozenNS).Round(time.Microsecond).String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", p.PID, clean(p.User), p.Outcome, orDash(p.Archive), size, frozen,
			shortCmdline(proc{comm: p.Comm, cmdline: p.Cmdline}))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range procs {
		if p.Reason != "" {
			fmt.Fprintf(w, "PID %d: %s: %s\n", p.PID, p.Outcome, clean(p.Reason))
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return clean(s)
}

// setSummary is info and list of a set, when name is one (a directory, or
// a tar file or stream); handled says whether it was.
func setSummary(name string, asJSON bool, stdout io.Writer) (handled bool, err error) {
	dir, r, c := setInput(name, stdinReader())
	if !dir && r == nil {
		return false, nil
	}
	if c != nil {
		defer c.Close()
	}
	m, err := readSetManifest(name, r)
	if err != nil {
		return true, err
	}
	return true, printSetSummary(stdout, name, m, asJSON)
}
