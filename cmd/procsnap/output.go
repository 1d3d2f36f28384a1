package main

// Where a verb writes what it produces (capture -o, extract -o,
// export-core -o): one set of rules for every verb, in docs/CLI.md
// ("Output files").
//
//   - "-" is standard output (never a terminal).
//   - A path that does not exist becomes a new file, mode 0600.
//   - An existing regular file is refused without --force; with --force
//     the output goes to a temporary file beside it (.NAME.PID.partial,
//     mode 0600) that replaces it by rename once the output is finished.
//   - An existing character device, FIFO or socket (or a symbolic link to
//     one, such as /dev/stdout) is written to as it is: opened without
//     O_CREAT or O_TRUNC (a socket is connected to), never renamed over,
//     chmodded, synced or removed.
//   - A directory, a block device, and a symbolic link to a directory or
//     to a regular file (or to nothing) are refused.

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/procsnap/procsnap/internal/writeback"
	"golang.org/x/term"
)

// outKind is what an output writes to.
type outKind int

const (
	outStdout  outKind = iota // standard output
	outNew                    // a file procsnap created
	outReplace                // a temporary file that replaces an existing regular file
	outNode                   // an existing character device, FIFO or socket
)

// output is an open destination. Finish it with exactly one of commit,
// abort or keep.
type output struct {
	name string // as the user gave it ("-" for stdout)
	path string // the file written: name, or the temporary file beside it
	kind outKind
	w    io.Writer   // where the bytes go
	f    *os.File    // the file or device; nil for stdout and sockets
	c    io.Closer   // closed when finished; nil for stdout
	id   fs.FileInfo // the file procsnap created, to remove only that one
}

// openOutput opens name for a verb's output under the rules above. what
// names the output for messages ("an archive", "a core file").
func openOutput(name string, force bool, stdout io.Writer, what string) (*output, error) {
	if name == "-" {
		if isTerminal(stdout) {
			return nil, usagef("refusing to write %s to a terminal: redirect or pipe stdout, or use -o FILE", what)
		}
		return &output{name: name, kind: outStdout, w: stdout}, nil
	}
	st, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return createOutput(name, name, outNew)
	}
	if err != nil {
		return nil, err
	}
	m := st.Mode()
	switch {
	case m&fs.ModeSymlink != 0:
		return openThroughLink(name, what)
	case m.IsRegular() && !force:
		return nil, fmt.Errorf("%s already exists (use --force to overwrite it)", name)
	case m.IsRegular():
		tmp := filepath.Join(filepath.Dir(name), fmt.Sprintf(".%s.%d.partial", filepath.Base(name), os.Getpid()))
		return createOutput(name, tmp, outReplace)
	}
	if err := refuseKind(name, m); err != nil {
		return nil, err
	}
	return openNode(name, st, what)
}

// refuseKind refuses what is neither a regular file nor a node procsnap
// writes to (character device, FIFO, socket).
func refuseKind(name string, m fs.FileMode) error {
	switch {
	case m.IsDir():
		return fmt.Errorf("%s is a directory: give a file name inside it, e.g. -o %s", name, filepath.Join(name, "out"))
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice == 0:
		return fmt.Errorf("%s is a block device: procsnap never writes to one (write to a file, or pipe -o - into the tool that should)", name)
	case m&(fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0:
		return nil
	}
	return fmt.Errorf("%s is not a regular file, character device, FIFO or socket (%v): choose another -o", name, m.Type())
}

// openThroughLink writes through a symbolic link only to a character
// device, FIFO or socket (/dev/stdout is one). A link to a regular file is
// refused even with --force: replacing the file behind the link, or the
// link itself, would both surprise.
func openThroughLink(name, what string) (*output, error) {
	target, _ := os.Readlink(name)
	st, err := os.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s is a symbolic link to %s, which does not exist: procsnap does not create files through links (give the path itself)", name, target)
	case err != nil:
		return nil, err
	case st.Mode().IsRegular():
		return nil, fmt.Errorf("%s is a symbolic link to a regular file (%s): procsnap never replaces a file through a link, even with --force; give its path with -o (and --force), or -o - for standard output", name, target)
	}
	if err := refuseKind(name, st.Mode()); err != nil {
		return nil, fmt.Errorf("%w (%s is a symbolic link to %s)", err, name, target)
	}
	return openNode(name, st, what)
}

// createOutput creates path, which must not exist, with mode 0600.
func createOutput(name, path string, kind outKind) (*output, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) && kind == outNew {
		return nil, fmt.Errorf("%s already exists (use --force to overwrite it)", name)
	}
	if err != nil {
		return nil, err
	}
	id, err := f.Stat()
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return &output{name: name, path: path, kind: kind, w: writeback.New(f), f: f, c: f, id: id}, nil
}

// openNode opens an existing character device or FIFO for writing as it is
// (no O_CREAT, no O_TRUNC), or connects to a unix socket.
func openNode(name string, st fs.FileInfo, what string) (*output, error) {
	if st.Mode()&fs.ModeSocket != 0 {
		c, err := net.Dial("unix", name)
		if err != nil {
			return nil, fmt.Errorf("%s is a socket, and connecting to it failed: %w (procsnap writes to a listening unix stream socket)", name, err)
		}
		return &output{name: name, path: name, kind: outNode, w: c, c: c}, nil
	}
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	if got, err := f.Stat(); err != nil || !os.SameFile(got, st) {
		f.Close()
		return nil, fmt.Errorf("%s was replaced while procsnap opened it: try again", name)
	}
	if isTerminal(f) {
		f.Close()
		return nil, usagef("refusing to write %s to a terminal (%s): redirect or pipe stdout, or use -o FILE", what, name)
	}
	return &output{name: name, path: name, kind: outNode, w: f, f: f, c: f}, nil
}

// regular reports whether the output is a regular file procsnap writes
// (one it may seek in and truncate).
func (o *output) regular() bool { return o.kind == outNew || o.kind == outReplace }

// commit finishes a whole output: a file is synced, closed and, with
// --force, renamed over the old one; a device, FIFO or socket is closed.
func (o *output) commit() error {
	if o.c == nil {
		return nil
	}
	if !o.regular() {
		return o.c.Close()
	}
	err := o.f.Sync()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err == nil && o.kind == outReplace {
		err = o.replace()
	}
	if err != nil {
		return fmt.Errorf("finish %s: %w", o.name, err)
	}
	return nil
}

// replace renames the temporary file over the old regular file, unless
// name is no longer a regular file: then the output stays where it is.
func (o *output) replace() error {
	if st, err := os.Lstat(o.name); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%s is no longer a regular file (%v): it was not replaced", o.name, st.Mode().Type())
	}
	return os.Rename(o.path, o.name)
}

// abort gives up on an output that holds nothing worth keeping and says
// what became of it: a file procsnap created is removed, a device, FIFO or
// socket keeps what was written to it.
func (o *output) abort() string {
	if o.c == nil {
		return "what was written to stdout stays there"
	}
	o.c.Close() // again after a failed commit: harmless
	switch o.kind {
	case outNode:
		return fmt.Sprintf("what was written to %s stays there", o.name)
	case outReplace:
		removeIfSame(o.path, o.id)
		return fmt.Sprintf("the partial output was removed; %s is untouched", o.name)
	}
	removeIfSame(o.path, o.id)
	return "the partial output was removed"
}

// removeIfSame removes path if it is still the file procsnap created.
func removeIfSame(path string, id fs.FileInfo) {
	if now, err := os.Lstat(path); err == nil && os.SameFile(now, id) {
		os.Remove(path)
	}
}

// keep closes an output cut short by an error, keeping what was written,
// and says where that is.
func (o *output) keep() string {
	if o.c != nil {
		o.c.Close()
	}
	if !o.regular() {
		return "the receiving end holds what was written before the error; it stays readable as far as it goes"
	}
	return fmt.Sprintf("what was written is kept in %s and stays readable as far as it goes (procsnap verify %s)", o.path, o.path)
}

// refuseArchiveAsOutput refuses an output path that names the archive
// itself, which --force would truncate while it is read.
func refuseArchiveAsOutput(name, archive string) error {
	if name == "-" {
		return nil
	}
	out, err := os.Stat(name)
	if err != nil {
		return nil // does not exist (or cannot be seen): createOutput decides
	}
	if in, err := os.Stat(archive); err == nil && os.SameFile(in, out) {
		return usagef("output %s is the archive itself: choose another -o", name)
	}
	return nil
}

// isTerminal reports whether w is a terminal: standard output, a device
// named by -o, standard input, stderr for progress.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
