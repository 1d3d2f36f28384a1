package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/procfs"
	"github.com/procsnap/procsnap/snapshot/capture"
	"github.com/spf13/pflag"
)

const captureUsage = `Usage: procsnap capture [flags] PID
       procsnap capture [flags] NAME
       procsnap capture [flags] --name REGEX
       procsnap capture [flags] [PID|NAME]... [--name REGEX]... [--tree PID]...
                        [--user USER]... [--all] -o DIR|-

Copy every readable memory region of process PID and the verbatim
/proc/PID/maps into a compressed, hashed archive that shows the process at one
instant. By default (--freeze=precopy) the memory is copied while the process
runs, then every thread is frozen, every resident page is read again and the
pages that changed are kept, and the process runs on: the freeze lasts one
read of its memory, and procsnap needs memory only for the changed pages.
The target is never left stopped: not on error, Ctrl-C, SIGTERM or SIGKILL.

Instead of a PID: NAME picks the processes whose comm (/proc/PID/comm) or the
base name of whose argv[0] equals NAME; --name REGEX those whose comm or
command line (arguments joined by spaces) the Go regular expression matches;
--tree PID a process and all its descendants; --user USER the processes of a
real user; --all every process. They combine (a process meeting any is
selected); procsnap itself, its invokers, kernel threads and zombies never
are. --dry-run lists the selection.

One process gives one archive. Several give a set: -o DIR (one PID-COMM.psnap
per process, SHA256SUMS for sha256sum -c, manifest.json with each process's
outcome), -o FILE.tar (a tar file, even for one process) or -o - (the same
files as a tar stream, nothing on disk, its SHA-256 printed at the end). Each
process is frozen only while it is copied; one that exits, refuses or is
traced is recorded and the run goes on. procsnap verify checks a set whole.

The archive is written with mode 0600 (process memory holds secrets). With
-o - it streams to stdout, e.g. over ssh:  procsnap capture -o - 1234 | ssh host 'cat > x.psnap'

Sealed evidence: --recipient R (an age key age1..., or an ssh-ed25519 or
ssh-rsa public key line) encrypts the archive with age as it is written: no
plaintext byte of the process's memory reaches the file or the pipe; the
offline verbs read it with --identity KEY. --sign KEY (an ed25519 private
key) writes ARCHIVE.sig: a provenance statement (SHA-256, host, boot id,
times, case fields) and its SSH signature (ssh-keygen -Y sign format,
namespace procsnap), which procsnap verify --pubkey and ssh-keygen -Y verify
check. --case, --evidence-id, --examiner and --note are stored in the
metadata. Beside an archive file, ARCHIVE.sha256 (sha256sum -c) is written
once it is complete, unless --no-sidecar. The SHA-256 printed is of the bytes
as written: of the encrypted file when it is encrypted.

Exit codes: 0 complete, 1 failure, 2 usage, 3 archive written but incomplete
(the target exited, or it ended before the freeze: then the archive holds only
what was copied while the process ran; for a set: some process was not
captured whole), 130/143 interrupted by SIGINT/SIGTERM
(archive closed, incomplete).
`

type captureOpts struct {
	output, level, chunk, buffer, note string
	freeze                             string
	names, users                       []string
	trees                              []int
	all, dryRun, together              bool
	force, includeUnreadable           bool
	trackWrites                        bool
	noProgress, quiet                  bool
	ev                                 evidenceOpts // case fields and sealing (seal_capture.go)
}

func captureFlags(o *captureOpts, stdout io.Writer) *pflag.FlagSet {
	fs := newFlagSet("capture", captureUsage, stdout)
	fs.StringVarP(&o.output, "output", "o", "", `archive path, "-" for stdout (default procsnap-PID-UTCTIME.psnap); for a set DIR, FILE.tar or -`)
	fs.BoolVar(&o.force, "force", false, "replace an existing regular file (a device, FIFO or socket is written to as it is)")
	fs.StringArrayVar(&o.names, "name", nil, "select the processes whose comm or full command line (arguments joined by spaces) matches this regular expression (repeatable)")
	fs.IntSliceVar(&o.trees, "tree", nil, "select this process and all its descendants (repeatable)")
	fs.StringArrayVar(&o.users, "user", nil, "select the processes whose real user is USER, a name or a uid (repeatable)")
	fs.BoolVar(&o.all, "all", false, "select every process with memory (not kernel threads, not procsnap)")
	fs.StringVar(&o.buffer, "memory-limit", "", "the same as --buffer: the memory capture may hold (with a set: for all its processes)")
	fs.BoolVar(&o.together, "together", false, "capture the selected processes at one instant: freeze them all, then read, then thaw them all (with -o DIR)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "list what would be captured (PID, user, readable size, command) and exit")
	fs.BoolVar(&o.includeUnreadable, "include-unreadable", false, "also read regions without r permission, through /proc/PID/mem")
	fs.StringVar(&o.level, "level", "fastest", "compression level: fastest, default or better")
	fs.StringVar(&o.chunk, "chunk-size", "1MiB", "chunk size, a power of two (e.g. 256KiB, 4MiB)")
	fs.StringVar(&o.freeze, "freeze", "precopy", "precopy: copy while the target runs, freeze, re-read and keep what changed (short freeze, little memory); whole: copy everything while frozen")
	fs.BoolVar(&o.trackWrites, "track-writes", false, "re-read under the freeze only the private anonymous pages the kernel saw written since the pre-copy (needs soft-dirty, which many distribution kernels have; it clears the target's soft-dirty bits)")
	fs.StringVar(&o.buffer, "buffer", "", "memory for pages kept under the freeze: those that changed, or all with --freeze=whole; beyond it they are compressed while frozen (e.g. 512MiB; default half of MemAvailable)")
	fs.StringVar(&o.note, "note", "", "examiner's note, stored in the archive metadata")
	o.ev.flags(fs)
	fs.BoolVar(&o.noProgress, "no-progress", false, "no progress display on stderr")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only errors")
	return fs
}

func runCapture(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o captureOpts
	fs := captureFlags(&o, stdout)
	if err := parseFlags(fs, args, -1); err != nil {
		return err
	}
	opts, err := o.snapshotOptions()
	if err != nil {
		return err
	}
	o.raiseBuffer(&opts, stderr)
	sel, pid, err := o.selection(fs.Args())
	if err != nil {
		return err
	}
	if pid > 0 && !o.dryRun && !tarOutput(o.output) {
		return captureOne(ctx, pid, o, opts, stdout, stderr)
	}
	procs, err := sel.matches()
	switch {
	case err != nil:
		return err
	case len(procs) == 0:
		return sel.noneError()
	case o.dryRun:
		return printDryRun(stdout, procs)
	case len(procs) == 1 && !o.plural(fs.Args()) && !isDir(o.output) && !tarOutput(o.output):
		return captureOne(ctx, procs[0].pid, o, opts, stdout, stderr)
	}
	if err := o.ev.refuseSet(); err != nil {
		return err
	}
	return runCaptureSet(ctx, sel, procs, o, opts, stdout, stderr)
}

// captureOne captures one process into one archive.
func captureOne(ctx context.Context, pid int, o captureOpts, opts capture.Options, stdout, stderr io.Writer) error {
	if !o.quiet && !o.noProgress && isTerminal(stderr) {
		opts.Progress = newProgressBar(stderr)
	}
	seal, err := o.ev.prepare(o.output)
	if err != nil {
		return err
	}
	out, err := openCaptureOutput(o, pid, stdout)
	if err != nil {
		return err
	}
	w, err := seal.begin(out, o.force)
	if err != nil {
		out.abort()
		return err
	}
	res, err := capture.Run(ctx, pid, testHold(w), opts)
	var ie *capture.IncompleteError
	closed := res != nil && (err == nil || errors.As(err, &ie))
	if serr := seal.close(); closed && serr != nil { // age's last chunk
		closed, err = false, fmt.Errorf("write archive: %w", serr)
	}
	switch {
	case res == nil: // failed before the first record: nothing worth keeping
		out.abort()
	case closed: // the archive was closed
		notes, ferr := seal.commit(out, res, o.force)
		if ferr != nil && err == nil {
			err = ferr
		}
		if !o.quiet {
			printCaptureSummary(stderr, seal.shown(res), out.name, notes...)
		}
	default: // a write error (full disk, closed pipe): the target was thawed
		kept := out.keep()
		if !o.quiet {
			fmt.Fprintf(stderr, "procsnap: the archive was cut short after %s; %s\n", human(uint64(res.ArchiveBytes)), kept)
		}
	}
	return captureExit(err)
}

// raiseBuffer raises a --buffer below the smallest page store to it, and
// says so.
func (o captureOpts) raiseBuffer(opts *capture.Options, stderr io.Writer) {
	if o.buffer == "" || opts.BufferSize >= capture.MinBufferSize {
		return
	}
	if !o.quiet {
		fmt.Fprintf(stderr, "procsnap capture: --buffer %s raised to %s, the smallest store for pages kept under the freeze (a slab per core)\n",
			o.buffer, human(capture.MinBufferSize))
	}
	opts.BufferSize = capture.MinBufferSize
}

// selection reads what to capture: PIDs and NAMEs as arguments, --name,
// --tree, --user and --all. A single PID argument and nothing else returns
// that pid: the one archive of today's capture.
func (o captureOpts) selection(args []string) (*procSelector, int, error) {
	sel := &procSelector{pfs: procfs.Default(), trees: o.trees, all: o.all}
	for _, a := range args {
		pid, err := strconv.Atoi(a)
		switch {
		case err == nil && pid > 0:
			sel.pids = append(sel.pids, pid)
		case err == nil || a == "" || strings.HasPrefix(a, "-"):
			return nil, 0, usagef("bad PID %q: want a process id such as 1234, or a process name", a)
		default:
			sel.exact = append(sel.exact, a)
		}
	}
	for _, n := range o.names {
		if err := sel.addRegex(n); err != nil {
			return nil, 0, err
		}
	}
	for _, u := range o.users {
		if err := sel.addUser(u); err != nil {
			return nil, 0, err
		}
	}
	if len(args) == 0 && len(o.names) == 0 && len(o.trees) == 0 && len(o.users) == 0 && !o.all {
		return nil, 0, usagef("nothing to capture: give a PID or a NAME, or select with --name, --tree, --user or --all (run 'procsnap capture --help')")
	}
	if len(sel.pids) == 1 && len(args) == 1 && !o.plural(args) {
		return sel, sel.pids[0], nil
	}
	return sel, 0, nil
}

// plural says whether the selection asks for a set whatever it matches:
// several arguments, --tree, --user or --all. (A NAME or --name that
// matches several processes makes a set too.)
func (o captureOpts) plural(args []string) bool {
	return len(args) > 1 || len(o.trees) > 0 || len(o.users) > 0 || o.all || len(o.names) > 1
}

// isDir reports whether path names an existing directory.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return path != "" && path != "-" && err == nil && st.IsDir()
}

// printDryRun lists the selected processes with their readable memory.
func printDryRun(w io.Writer, procs []proc) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PID\tUSER\tREADABLE\tCOMMAND")
	for _, p := range procs {
		size := "?"
		if maps, err := procfs.Default().MapsRunning(p.pid); err == nil {
			var n uint64
			for _, m := range maps {
				if m.Readable() {
					n += m.Size()
				}
			}
			size = human(n)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", p.pid, userName(p.uid), size, shortCmdline(p))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d process(es) would be captured\n", len(procs))
	return err
}

func (o captureOpts) snapshotOptions() (capture.Options, error) {
	lvl, err := format.ParseLevel(o.level)
	if err != nil {
		return capture.Options{}, usagef("--level: %v", err)
	}
	chunk, err := parseSize(o.chunk)
	if err != nil {
		return capture.Options{}, usagef("--chunk-size: %v", err)
	}
	var buffer int64
	if o.buffer != "" {
		if buffer, err = parseSize(o.buffer); err != nil {
			return capture.Options{}, usagef("--buffer: %v", err)
		}
	}
	mode, err := capture.ParseMode(o.freeze)
	if err != nil {
		return capture.Options{}, usagef("--freeze: %v", err)
	}
	if chunk > format.MaxChunkSize || chunk&(chunk-1) != 0 || chunk < 4096 {
		return capture.Options{}, usagef("--chunk-size %s: want a power of two from 4KiB to 16MiB", o.chunk)
	}
	if o.trackWrites && mode != capture.ModePrecopy {
		return capture.Options{}, usagef("--track-writes needs --freeze=precopy: with --freeze=%s every page is read under the freeze anyway", mode)
	}
	opts := capture.Options{Mode: mode, TrackWrites: o.trackWrites, IncludeUnreadable: o.includeUnreadable, Level: lvl, ChunkSize: int(chunk),
		BufferSize: buffer, Note: o.note, ToolVersion: version}
	return opts, o.ev.caseOptions(&opts)
}

// openCaptureOutput opens the archive's destination before the target is
// touched (see output.go). Over an existing regular file (--force) the
// archive goes to a temporary file beside it, which replaces the old file
// only once the archive is closed: a capture that fails, or is cut short by
// a full disk, never destroys the earlier file.
func openCaptureOutput(o captureOpts, pid int, stdout io.Writer) (*output, error) {
	name := o.output
	if name == "" {
		name = fmt.Sprintf("procsnap-%d-%s.psnap", pid, time.Now().UTC().Format("20060102T150405Z"))
	}
	return openOutput(name, o.force, stdout, "an archive")
}

// captureExit maps a capture's outcome to the documented exit codes.
func captureExit(err error) error {
	var ie *capture.IncompleteError
	var se *signalError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return se.exit(err)
	case errors.As(err, &ie):
		return &codeError{code: exitIncomplete, err: err}
	}
	return err
}

// printCaptureSummary prints the summary, then notes (encryption, signature,
// sidecar), then the digest line as sha256sum prints it.
func printCaptureSummary(w io.Writer, r *capture.Result, name string, notes ...string) {
	state := "complete"
	if !r.Complete {
		state = "INCOMPLETE: " + r.Reason
	}
	fmt.Fprintf(w, "procsnap: PID %d, %s, %s: %s captured, %s unreadable, %s not captured (%s)\n",
		r.PID, plural(r.Threads, "thread"), plural(r.Regions, "region"), human(r.CapturedBytes), human(r.UnreadableBytes), human(r.NotCapturedBytes), state)
	fmt.Fprintf(w, "procsnap: frozen for %s", r.Frozen.Round(time.Microsecond))
	if r.Mode == capture.ModePrecopy && r.Frozen > 0 {
		fmt.Fprintf(w, " (pre-copied %s while it ran; re-read %s under the freeze, of which %s had changed)",
			human(r.PrecopyBytes), human(r.RereadBytes), human(r.ChangedBytes))
	}
	if r.Overflowed {
		fmt.Fprintf(w, " (the pages kept under the freeze outgrew %s: part was compressed while frozen; raise --buffer to shorten the freeze)", human(uint64(r.BufferBytes)))
	}
	fmt.Fprintf(w, "; archive %s\n", human(uint64(r.ArchiveBytes)))
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	fmt.Fprintf(w, "%s  %s\n", hex.EncodeToString(r.SHA256[:]), name)
}
