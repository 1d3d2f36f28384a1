package main

// capture of several processes into one set (issue 17): each process is
// captured in turn, frozen only while it is copied, by the same capture as
// a single archive (which itself reads and compresses on every core), into
// a directory or a tar stream (setout.go); one process never sinks the
// run; SHA256SUMS and manifest.json come last.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/procsnap/procsnap/internal/writeback"
	"github.com/procsnap/procsnap/procfs"
	"github.com/procsnap/procsnap/snapshot/capture"
)

// Outcomes of one process in a set's manifest.
const (
	outcomeCaptured = "captured" // complete archive
	outcomePartial  = "partial"  // archive written, incomplete (the reason says why)
	outcomeSkipped  = "skipped"  // not captured (refused, failed): the reason says why
	outcomeVanished = "vanished" // exited before it was frozen
	outcomeNotDone  = "not done" // the run was interrupted first
)

// setManifest is manifest.json, documented in docs/CLI.md.
type setManifest struct {
	Format      string       `json:"format"` // "procsnap-set/1"
	ToolVersion string       `json:"tool_version"`
	Host        manifestHost `json:"host"`
	Started     string       `json:"started"`
	Finished    string       `json:"finished"`
	Selection   string       `json:"selection"`
	Interrupted string       `json:"interrupted,omitempty"`
	Case        *caseFields  `json:"case,omitempty"` // as given to capture (seal_capture.go)
	Processes   []setProcess `json:"processes"`
}

type manifestHost struct {
	Hostname      string `json:"hostname"`
	KernelRelease string `json:"kernel_release"`
	BootID        string `json:"boot_id"`
}

// setProcess is one selected process and what became of it.
type setProcess struct {
	PID      int       `json:"pid"`
	PPID     int       `json:"ppid"`
	UID      uint32    `json:"uid"`
	User     string    `json:"user"`
	Comm     string    `json:"comm"`
	Cmdline  []string  `json:"cmdline"`
	Outcome  string    `json:"outcome"`
	Reason   string    `json:"reason,omitempty"`
	Archive  string    `json:"archive,omitempty"`
	SHA256   string    `json:"sha256,omitempty"` // of the whole archive
	Bytes    int64     `json:"bytes,omitempty"`
	Parts    []setFile `json:"parts,omitempty"` // the tar members that concatenate to it, when it was split
	FrozenNS int64     `json:"frozen_ns,omitempty"`
}

// captureSet captures procs into out.
type captureSet struct {
	o      captureOpts
	opts   capture.Options
	out    setOutput
	stderr io.Writer
	man    setManifest
}

func runCaptureSet(ctx context.Context, sel *procSelector, procs []proc, o captureOpts, opts capture.Options, stdout, stderr io.Writer) error {
	if o.together && (o.output == "-" || tarOutput(o.output)) {
		return usagef("--together writes every archive at once: give -o DIR (a tar stream holds one archive after the other)")
	}
	out, err := openSetOutput(o, stdout, opts.BufferSize)
	if err != nil {
		return err
	}
	cs := &captureSet{o: o, opts: opts, out: out, stderr: stderr, man: newManifest(sel)}
	cs.man.Case = o.ev.manifestCase(o.note)
	cs.absent(sel, procs)
	if o.together {
		if err := cs.together(ctx, procs); err != nil {
			return err
		}
		return cs.finishSet(ctx)
	}
	for i, p := range procs {
		if ctx.Err() != nil {
			cs.notDone(procs[i:], context.Cause(ctx))
			break
		}
		if err := cs.one(ctx, p); err != nil {
			cs.notDone(procs[i+1:], err)
			break
		}
	}
	return cs.finishSet(ctx)
}

// finishSet writes SHA256SUMS and the manifest and gives the exit.
func (cs *captureSet) finishSet(ctx context.Context) error {
	if err := cs.close(); err != nil {
		return err
	}
	return cs.exit(ctx)
}

// together captures procs at one instant (capture.Together), each into its
// own file of the set directory.
func (cs *captureSet) together(ctx context.Context, procs []proc) error {
	d := cs.out.(*dirSet)
	files := make([]*os.File, len(procs))
	counts := make([]*hashCount, len(procs))
	targets := make([]capture.Target, len(procs))
	for i, p := range procs {
		f, err := os.OpenFile(filepath.Join(d.dir, archiveName(p)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("output %s: %w", archiveName(p), err)
		}
		files[i], counts[i] = f, newHashCount(writeback.New(f))
		targets[i] = capture.Target{PID: p.pid, W: counts[i]}
	}
	for i, o := range capture.Together(ctx, targets, cs.opts) {
		e := manifestEntry(procs[i])
		e.Outcome, e.Reason = outcomeOf(o.Result, o.Err)
		err := files[i].Sync()
		if cerr := files[i].Close(); err == nil {
			err = cerr
		}
		if o.Result == nil {
			os.Remove(files[i].Name())
		} else {
			e.Archive, e.SHA256, e.Bytes, e.FrozenNS = archiveName(procs[i]), fmt.Sprintf("%x", o.Result.SHA256), o.Result.ArchiveBytes, o.Result.Frozen.Nanoseconds()
		}
		cs.man.Processes = append(cs.man.Processes, e)
		cs.say(e)
		if err != nil && o.Result != nil {
			return fmt.Errorf("output %s: %w", e.Archive, err)
		}
	}
	return nil
}

// openSetOutput opens -o DIR (default procsnap-set-UTCTIME), -o FILE.tar
// or -o -.
func openSetOutput(o captureOpts, stdout io.Writer, budget int64) (setOutput, error) {
	if o.output == "-" {
		if isTerminal(stdout) {
			return nil, usagef("refusing to write a tar stream to a terminal: redirect or pipe stdout, or use -o DIR")
		}
		return newTarSet(stdout, setPartSize(budget)), nil
	}
	if tarOutput(o.output) {
		return openTarFile(o, stdout, setPartSize(budget))
	}
	dir := o.output
	if dir == "" {
		dir = "procsnap-set-" + time.Now().UTC().Format("20060102T150405Z")
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, usagef("several processes are selected: -o %s must name a directory (new or empty) or - for a tar stream", dir)
	}
	return newDirSet(dir)
}

// setPartSize is the largest tar member an archive becomes: a quarter of
// the memory budget, at most 1 GiB, at least 16 MiB.
func setPartSize(budget int64) int {
	if budget <= 0 {
		budget = procfs.Default().MemAvailable() / 2
	}
	return int(min(max(budget/4, 16<<20), 1<<30))
}

func newManifest(sel *procSelector) setManifest {
	m := setManifest{Format: "procsnap-set/1", ToolVersion: version, Started: time.Now().UTC().Format(time.RFC3339Nano),
		Selection: sel.String(), Processes: []setProcess{}}
	if h, err := procfs.Default().Host(); err == nil {
		m.Host = manifestHost{Hostname: h.Hostname, KernelRelease: h.Release, BootID: h.BootID}
	}
	return m
}

// archiveName is PID-COMM.psnap with comm made safe as a file name.
func archiveName(p proc) string {
	var b strings.Builder
	for _, r := range p.comm {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := strings.TrimLeft(b.String(), ".")
	if name == "" {
		name = "process"
	}
	return fmt.Sprintf("%d-%s.psnap", p.pid, name)
}

func manifestEntry(p proc) setProcess {
	return setProcess{PID: p.pid, PPID: p.ppid, UID: p.uid, User: userName(p.uid), Comm: p.comm, Cmdline: append([]string{}, p.cmdline...)}
}

// one captures one process. Only a failure of the set's own output (full
// disk, closed pipe) is returned: it ends the run.
func (cs *captureSet) one(ctx context.Context, p proc) error {
	e := manifestEntry(p)
	name := archiveName(p)
	w, err := cs.out.archive(name)
	if err != nil {
		return fmt.Errorf("output %s: %w", name, err)
	}
	res, cerr := capture.Run(ctx, p.pid, w, cs.opts)
	files, derr := cs.out.done(res != nil)
	e.Outcome, e.Reason = outcomeOf(res, cerr)
	if res != nil {
		e.Archive, e.SHA256, e.Bytes, e.FrozenNS = name, fmt.Sprintf("%x", res.SHA256), res.ArchiveBytes, res.Frozen.Nanoseconds()
		if len(files) > 1 {
			e.Parts = files
		}
	}
	cs.man.Processes = append(cs.man.Processes, e)
	cs.say(e)
	if derr == nil && res != nil && !res.Complete && e.Outcome == outcomeSkipped {
		derr = cerr // the archive was cut short by a write error
	}
	return derr
}

// outcomeOf reads a capture's result.
func outcomeOf(res *capture.Result, err error) (string, string) {
	var ie *capture.IncompleteError
	switch {
	case err == nil:
		return outcomeCaptured, ""
	case res != nil && errors.As(err, &ie):
		return outcomePartial, ie.Reason
	case res != nil:
		return outcomeSkipped, "the archive was cut short: " + err.Error()
	case strings.Contains(err.Error(), "exited"), strings.Contains(err.Error(), "no process with PID"):
		return outcomeVanished, err.Error()
	}
	return outcomeSkipped, err.Error()
}

func (cs *captureSet) say(e setProcess) {
	if cs.o.quiet {
		return
	}
	line := fmt.Sprintf("procsnap: PID %d (%s): %s", e.PID, clean(e.Comm), e.Outcome)
	if e.Archive != "" {
		line += fmt.Sprintf(", %s %s, frozen %s", e.Archive, human(uint64(e.Bytes)), time.Duration(e.FrozenNS).Round(time.Microsecond))
	}
	if e.Reason != "" {
		line += ": " + clean(e.Reason)
	}
	fmt.Fprintln(cs.stderr, line)
}

// absent records the PIDs given that name no process (any more).
func (cs *captureSet) absent(sel *procSelector, procs []proc) {
	for _, pid := range sel.pids {
		if !slices.ContainsFunc(procs, func(p proc) bool { return p.pid == pid }) {
			e := setProcess{PID: pid, Outcome: outcomeVanished, Reason: fmt.Sprintf("no process with PID %d (it exited before the capture, or is a kernel thread or a zombie)", pid)}
			cs.man.Processes = append(cs.man.Processes, e)
			cs.say(e)
		}
	}
}

// notDone records the processes an interrupt or an output failure left.
func (cs *captureSet) notDone(rest []proc, why error) {
	cs.man.Interrupted = why.Error()
	for _, p := range rest {
		e := manifestEntry(p)
		e.Outcome, e.Reason = outcomeNotDone, why.Error()
		cs.man.Processes = append(cs.man.Processes, e)
	}
}

// close writes SHA256SUMS (sha256sum -c checks it) and manifest.json.
func (cs *captureSet) close() error {
	var sums strings.Builder
	for _, e := range cs.man.Processes {
		files := e.Parts
		if len(files) == 0 && e.Archive != "" {
			files = []setFile{{Name: e.Archive, SHA256: e.SHA256}}
		}
		for _, f := range files {
			fmt.Fprintf(&sums, "%s  %s\n", f.SHA256, f.Name)
		}
	}
	cs.man.Finished = time.Now().UTC().Format(time.RFC3339Nano)
	man, _ := json.MarshalIndent(cs.man, "", "  ") // only marshalable fields
	err := errors.Join(cs.out.file("SHA256SUMS", []byte(sums.String())), cs.out.file("manifest.json", append(man, '\n')))
	lines, cerr := cs.out.close()
	if err = errors.Join(err, cerr); err != nil {
		return err
	}
	if !cs.o.quiet {
		for _, l := range lines {
			fmt.Fprintln(cs.stderr, l)
		}
	}
	return nil
}

// exit is the set's exit code: 0 when every process was captured whole,
// 3 when some were not (the manifest says which and why), 1 when none
// was, 130/143 when interrupted.
func (cs *captureSet) exit(ctx context.Context) error {
	if ce := interruptedWith(ctx, fmt.Errorf("interrupted: %s", cs.summary())); ce != nil {
		return ce
	}
	n := 0
	for _, e := range cs.man.Processes {
		if e.Outcome == outcomeCaptured {
			n++
		}
	}
	switch {
	case n == len(cs.man.Processes):
		return nil
	case n == 0 && !cs.anyArchive():
		return fmt.Errorf("no process was captured: %s", cs.summary())
	}
	return &codeError{code: exitIncomplete, err: fmt.Errorf("not every process was captured whole: %s (manifest.json says why)", cs.summary())}
}

func (cs *captureSet) anyArchive() bool {
	for _, e := range cs.man.Processes {
		if e.Archive != "" {
			return true
		}
	}
	return false
}

// summary counts the outcomes.
func (cs *captureSet) summary() string {
	counts := map[string]int{}
	for _, e := range cs.man.Processes {
		counts[e.Outcome]++
	}
	var parts []string
	for _, k := range []string{outcomeCaptured, outcomePartial, outcomeSkipped, outcomeVanished, outcomeNotDone} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	return strings.Join(parts, ", ")
}
