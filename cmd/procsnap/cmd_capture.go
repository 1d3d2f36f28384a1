package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/snapshot/capture"
	"github.com/spf13/pflag"
)

const captureUsage = `Usage: procsnap capture [flags] PID

Copy every readable memory region of process PID and the verbatim
/proc/PID/maps into a compressed, hashed archive that shows the process at one
instant. By default (--freeze=precopy) the memory is copied while the process
runs, then every thread is frozen, every resident page is read again and the
pages that changed are kept, and the process runs on: the freeze lasts one
read of its memory, and procsnap needs memory only for the changed pages.
The target is never left stopped: not on error, Ctrl-C, SIGTERM or SIGKILL.

The archive is written with mode 0600 (process memory holds secrets). With
-o - it streams to stdout, e.g. over ssh:  procsnap capture -o - 1234 | ssh host 'cat > x.psnap'

Exit codes: 0 complete, 1 failure, 2 usage, 3 archive written but incomplete
(the target exited, or it ended before the freeze: then the archive holds only
what was copied while the process ran), 130/143 interrupted by SIGINT/SIGTERM
(archive closed, incomplete).
`

type captureOpts struct {
	output, level, chunk, buffer, note string
	freeze                             string
	force, includeUnreadable           bool
	trackWrites                        bool
	noProgress, quiet                  bool
}

func captureFlags(o *captureOpts, stdout io.Writer) *pflag.FlagSet {
	fs := newFlagSet("capture", captureUsage, stdout)
	fs.StringVarP(&o.output, "output", "o", "", `archive path, "-" for stdout (default procsnap-PID-UTCTIME.psnap)`)
	fs.BoolVar(&o.force, "force", false, "overwrite an existing output file")
	fs.BoolVar(&o.includeUnreadable, "include-unreadable", false, "also read regions without r permission, through /proc/PID/mem")
	fs.StringVar(&o.level, "level", "fastest", "compression level: fastest, default or better")
	fs.StringVar(&o.chunk, "chunk-size", "1MiB", "chunk size, a power of two (e.g. 256KiB, 4MiB)")
	fs.StringVar(&o.freeze, "freeze", "precopy", "precopy: copy while the target runs, freeze, re-read and keep what changed (short freeze, little memory); whole: copy everything while frozen")
	fs.BoolVar(&o.trackWrites, "track-writes", false, "re-read under the freeze only the private anonymous pages the kernel saw written since the pre-copy (needs soft-dirty, which many distribution kernels have; it clears the target's soft-dirty bits)")
	fs.StringVar(&o.buffer, "buffer", "", "memory for pages kept under the freeze: those that changed, or all with --freeze=whole; beyond it they are compressed while frozen (e.g. 512MiB; default half of MemAvailable)")
	fs.StringVar(&o.note, "note", "", "examiner's note, stored in the archive metadata")
	fs.BoolVar(&o.noProgress, "no-progress", false, "no progress display on stderr")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only errors")
	return fs
}

func runCapture(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o captureOpts
	fs := captureFlags(&o, stdout)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	pid, err := strconv.Atoi(fs.Arg(0))
	if err != nil || pid <= 0 {
		return usagef("bad PID %q: want a process id such as 1234", fs.Arg(0))
	}
	opts, err := o.snapshotOptions()
	if err != nil {
		return err
	}
	o.raiseBuffer(&opts, stderr)
	if !o.quiet && !o.noProgress && isTerminal(stderr) {
		opts.Progress = newProgressBar(stderr)
	}
	out, err := openCaptureOutput(o, pid, stdout)
	if err != nil {
		return err
	}
	res, err := capture.Run(ctx, pid, out.w, opts)
	var ie *capture.IncompleteError
	switch {
	case res == nil: // failed before the first record: nothing worth keeping
		out.discard()
	case err == nil || errors.As(err, &ie): // the archive was closed
		if ferr := out.finish(); ferr != nil && err == nil {
			err = ferr
		}
		if !o.quiet {
			printCaptureSummary(stderr, res, out.name)
		}
	default: // a write error (full disk, closed pipe): the target was thawed
		kept := out.keepPartial()
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
	return capture.Options{Mode: mode, TrackWrites: o.trackWrites, IncludeUnreadable: o.includeUnreadable, Level: lvl, ChunkSize: int(chunk),
		BufferSize: buffer, Note: o.note, ToolVersion: version}, nil
}

// captureOutput is where an archive goes: a file or stdout.
type captureOutput struct {
	w    io.Writer
	name string   // what the user asked for ("-" for stdout)
	path string   // the file written: name, or a temporary file beside it
	f    *os.File // nil for stdout
}

// openCaptureOutput opens the archive's destination before the target is
// touched. Without --force an existing file is refused. With --force the
// archive is written to a temporary file beside it, which replaces the old
// file only once the archive is closed: a capture that fails, or is cut
// short by a full disk, never destroys the earlier file.
func openCaptureOutput(o captureOpts, pid int, stdout io.Writer) (*captureOutput, error) {
	if o.output == "-" {
		if isTerminal(stdout) {
			return nil, usagef("refusing to write an archive to a terminal: redirect or pipe stdout, or use -o FILE")
		}
		return &captureOutput{w: stdout, name: "-"}, nil
	}
	name := o.output
	if name == "" {
		name = fmt.Sprintf("procsnap-%d-%s.psnap", pid, time.Now().UTC().Format("20060102T150405Z"))
	}
	path := name
	if o.force {
		path = filepath.Join(filepath.Dir(name), fmt.Sprintf(".%s.%d.partial", filepath.Base(name), os.Getpid()))
	}
	f, err := createOutput(path, o.force)
	if err != nil {
		return nil, err
	}
	return &captureOutput{w: f, name: name, path: path, f: f}, nil
}

// discard removes a file that holds no archive.
func (c *captureOutput) discard() {
	if c.f != nil {
		c.f.Close()
		os.Remove(c.path)
	}
}

// finish makes a closed archive durable and puts it in place.
func (c *captureOutput) finish() error {
	if c.f == nil {
		return nil
	}
	err := c.f.Sync()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	if err == nil && c.path != c.name {
		err = os.Rename(c.path, c.name)
	}
	if err != nil {
		return fmt.Errorf("finish %s: %w", c.name, err)
	}
	return nil
}

// keepPartial keeps what a write error left, where it is, and says where.
func (c *captureOutput) keepPartial() string {
	if c.f == nil {
		return "the receiving end holds what was written before the error; it stays readable as far as it goes"
	}
	c.f.Close()
	return fmt.Sprintf("what was written is kept in %s and stays readable as far as it goes (procsnap verify %s)", c.path, c.path)
}

// captureExit maps a capture's outcome to the documented exit codes.
func captureExit(err error) error {
	var ie *capture.IncompleteError
	var se *signalError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie) && errors.As(err, &se):
		return &codeError{code: 128 + int(se.sig), err: err}
	case errors.As(err, &ie):
		return &codeError{code: exitIncomplete, err: err}
	case errors.As(err, &se):
		return &codeError{code: 128 + int(se.sig), err: err}
	}
	return err
}

func printCaptureSummary(w io.Writer, r *capture.Result, name string) {
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
	fmt.Fprintf(w, "%s  %s\n", hex.EncodeToString(r.SHA256[:]), name)
}
