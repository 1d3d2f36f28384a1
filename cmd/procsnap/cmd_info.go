package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/spf13/pflag"
)

const infoUsage = `Usage: procsnap info [--json] [--environ] ARCHIVE

Show what an archive holds: the capture metadata (process, command line,
executable, working directory, root, host, times), whether the capture
completed, whether the archive was read by scanning instead of through its
index (and why), every thread with its instruction and stack pointers, and the
totals over all regions. Offline: no chunk is decompressed.

The target's environment is stored in the archive too. It often holds
secrets (tokens, passwords), so info only counts its variables unless
--environ asks for them.

Text from the archive is escaped (\x1b, \u202e): it cannot drive the terminal.
With --json: one object (addresses as "0x..." strings; "environ" only with
--environ); on failure {"error": {"message", "kind"}, "exit": N}.

Exit codes: 0 shown (also for an incomplete archive: verify judges), 1 the
archive cannot be read, 2 usage, 130/143 interrupted by SIGINT/SIGTERM.
`

type infoOpts struct {
	json, environ bool
	keys          archiveKeys
}

func infoFlags(o *infoOpts, stdout io.Writer) *pflag.FlagSet {
	fs := newFlagSet("info", infoUsage, stdout)
	fs.BoolVar(&o.json, "json", false, "JSON output")
	fs.BoolVar(&o.environ, "environ", false, "also show the environment variables the archive holds")
	o.keys.flag(fs)
	return fs
}

func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o infoOpts
	fs := infoFlags(&o, stdout)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if done, err := setSummary(fs.Arg(0), o.json, stdout); done {
		return err // a capture set: its manifest, one process a line
	}
	if err := o.keys.load(); err != nil {
		return err
	}
	r, err := openArchiveOrStream(fs.Arg(0), "info", &o.keys, stderr)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := interrupted(ctx); err != nil {
		return err
	}
	info := newInfo(r, o.environ)
	if o.json {
		return writeJSON(stdout, info)
	}
	var b bytes.Buffer
	printInfo(&b, fs.Arg(0), r, info)
	_, err = stdout.Write(trimLines(b.Bytes()))
	return err
}

// archiveInfo is info's JSON shape, documented in docs/CLI.md.
type archiveInfo struct {
	FormatVersion    string         `json:"format_version"`
	PageSize         int            `json:"page_size"`
	ChunkSize        int            `json:"chunk_size"`
	ArchiveBytes     int64          `json:"archive_bytes"`
	ToolVersion      string         `json:"tool_version"`
	PID              int            `json:"pid"`
	PPID             int            `json:"ppid"`
	Comm             string         `json:"comm"`
	Cmdline          []string       `json:"cmdline"`
	Exe              string         `json:"exe"`
	ExeSHA256        string         `json:"exe_sha256,omitempty"`
	UIDs             [4]int         `json:"uids"`
	GIDs             [4]int         `json:"gids"`
	Host             format.Host    `json:"host"`
	TargetStarted    *string        `json:"target_started"`
	Started          *string        `json:"started"`
	Finished         *string        `json:"finished"`
	FrozenNS         int64          `json:"frozen_ns"`
	Threads          []threadInfo   `json:"threads"`
	Regions          int            `json:"regions"`
	RegionStates     map[string]int `json:"region_states"`
	Size             uint64         `json:"size"`
	CapturedBytes    uint64         `json:"captured_bytes"`
	DataBytes        uint64         `json:"data_bytes"`
	ZeroBytes        uint64         `json:"zero_bytes"`
	UnreadableBytes  uint64         `json:"unreadable_bytes"`
	NotCapturedBytes uint64         `json:"not_captured_bytes"`
	SkippedBytes     uint64         `json:"skipped_bytes"`
	Complete         bool           `json:"complete"`
	Incomplete       string         `json:"incomplete_reason,omitempty"`
	Recovered        bool           `json:"recovered"`
	RecoveredReason  string         `json:"recovered_reason,omitempty"`
	Note             string         `json:"note"`
	Case             string         `json:"case"`
	EvidenceID       string         `json:"evidence_id"`
	Examiner         string         `json:"examiner"`
	Freeze           *freezeInfo    `json:"freeze"`
	MetadataMissing  bool           `json:"metadata_missing,omitempty"`
	Problems         []infoProblem  `json:"problems"`
	infoProcess                     // cwd, root, environment
}

// freezeInfo is how the capture froze (format 2): null for version 1
// archives and for archives cut off before the freeze.
type freezeInfo struct {
	Mode         string  `json:"mode"`
	PrecopyStart *string `json:"precopy_start"`
	PrecopyEnd   *string `json:"precopy_end"`
	Start        *string `json:"start"`
	End          *string `json:"end"`
	PrecopyBytes uint64  `json:"precopy_bytes"`
	RereadBytes  uint64  `json:"reread_bytes"`
	ChangedBytes uint64  `json:"changed_bytes"`
}

func newFreezeInfo(r *format.Reader) *freezeInfo {
	f := r.Freeze()
	if f == nil {
		return nil
	}
	fi := &freezeInfo{Mode: f.Mode, PrecopyStart: jsonTime(f.PrecopyStart), PrecopyEnd: jsonTime(f.PrecopyEnd), Start: jsonTime(f.Start)}
	if e := r.End(); e != nil {
		fi.End, fi.PrecopyBytes, fi.RereadBytes, fi.ChangedBytes = jsonTime(e.FreezeEnd), e.PrecopyBytes, e.RereadBytes, e.ChangedBytes
	}
	return fi
}

// threadInfo is one thread; IP and SP are null when the thread has no
// NT_PRSTATUS register set of the x86-64 size.
type threadInfo struct {
	TID     int      `json:"tid"`
	IP      *string  `json:"ip"`
	SP      *string  `json:"sp"`
	RegSets []uint32 `json:"regsets"`
}

type infoProblem struct {
	Region *int   `json:"region"`
	Offset int64  `json:"offset"`
	Reason string `json:"problem"`
}

func newInfo(r *format.Reader, showEnv bool) *archiveInfo {
	maj, min := r.Version()
	x := &archiveInfo{
		FormatVersion: fmt.Sprintf("%d.%d", maj, min), PageSize: r.PageSize(), ChunkSize: r.ChunkSize(),
		ArchiveBytes: r.Size(), Cmdline: []string{}, Threads: []threadInfo{}, Regions: len(r.Regions()),
		RegionStates: map[string]int{}, Complete: r.Complete(), Recovered: r.Recovered() != "",
		RecoveredReason: r.Recovered(), Problems: []infoProblem{},
	}
	if !x.Complete {
		x.Incomplete = incompleteReason(r)
	}
	if m := r.Meta(); m != nil {
		x.ToolVersion, x.PID, x.PPID, x.Comm, x.Exe, x.ExeSHA256 = m.ToolVersion, m.PID, m.PPID, m.Comm, m.Exe, m.ExeSHA256
		x.UIDs, x.GIDs, x.Host, x.Note = m.UIDs, m.GIDs, m.Host, m.Note
		x.Case, x.EvidenceID, x.Examiner = m.Case, m.EvidenceID, m.Examiner
		x.Cmdline = append(x.Cmdline, m.Cmdline...)
		x.TargetStarted, x.Started = jsonTime(m.TargetStartTime), jsonTime(m.CaptureStart)
		x.infoProcess = newInfoProcess(m, showEnv)
	} else {
		x.MetadataMissing = true
	}
	if e := r.End(); e != nil {
		x.Finished, x.FrozenNS = jsonTime(e.Finished), e.FrozenNS
	}
	for _, t := range r.Threads() {
		x.Threads = append(x.Threads, newThreadInfo(t))
	}
	x.Freeze = newFreezeInfo(r)
	x.addTotals(r)
	for _, p := range r.Problems() {
		x.Problems = append(x.Problems, infoProblem{regionRef(p.Region), p.Offset, p.Reason})
	}
	return x
}

func (x *archiveInfo) addTotals(r *format.Reader) {
	for _, g := range r.Regions() {
		x.RegionStates[g.State().String()]++
		c := countRegion(r, g)
		x.Size += g.Desc.Size()
		x.DataBytes += c.data
		x.ZeroBytes += c.zero
		x.UnreadableBytes += c.unreadable
		x.NotCapturedBytes += c.notCaptured
		if g.State() == format.RegionSkipped {
			x.SkippedBytes += g.Desc.Size()
		}
	}
	x.CapturedBytes = x.DataBytes + x.ZeroBytes
}

// newThreadInfo lists the thread's register sets, with rip and rsp from
// the first x86-64 NT_PRSTATUS set.
func newThreadInfo(t format.Thread) threadInfo {
	ti := threadInfo{TID: t.TID, RegSets: []uint32{}}
	for _, rs := range t.RegSets {
		ti.RegSets = append(ti.RegSets, rs.Type)
		if rs.Type != format.NTPrstatus || ti.IP != nil {
			continue
		}
		if rip, err := format.InstructionPointer(rs.Data); err == nil {
			rsp, _ := format.StackPointer(rs.Data)
			ip, sp := hexAddr(rip), hexAddr(rsp)
			ti.IP, ti.SP = &ip, &sp
		}
	}
	return ti
}

func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(time.RFC3339Nano)
	return &s
}

func regionRef(i int) *int {
	if i < 0 {
		return nil
	}
	return &i
}

// incompleteReason says why r.Complete() is false.
func incompleteReason(r *format.Reader) string {
	n := 0
	for _, g := range r.Regions() {
		if g.Footer == nil {
			n++
		}
	}
	return incompleteWhy(r.Inconsistent(), r.End(), r.HasTrailer(), n, len(r.Problems()))
}

// incompleteWhy says why an archive (not one instant of the process, if
// inconsistent says so) with end record e, a trailer or not,
// unfooted regions without a footer and damaged records is incomplete.
func incompleteWhy(inconsistent string, e *format.End, trailer bool, unfooted, damaged int) string {
	var why []string
	if inconsistent != "" {
		why = append(why, inconsistent)
	}
	switch {
	case e == nil:
		why = append(why, "no end record (the capture was cut off)")
	case !e.Complete && e.Reason != "":
		why = append(why, e.Reason)
	case !e.Complete:
		why = append(why, "the end record says the capture did not finish")
	}
	if !trailer {
		why = append(why, "no trailer")
	}
	if unfooted > 0 {
		why = append(why, fmt.Sprintf("%d region(s) without a footer", unfooted))
	}
	if damaged > 0 {
		why = append(why, fmt.Sprintf("%d damaged record(s)", damaged))
	}
	if len(why) == 0 {
		return "incomplete"
	}
	return strings.Join(why, "; ")
}

func printInfo(w io.Writer, path string, r *format.Reader, x *archiveInfo) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, f string, a ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(f, a...)) }
	row("archive", "%s", clean(path))
	row("format", "%s, page size %d, chunk size %s, %s", x.FormatVersion, x.PageSize, human(uint64(x.ChunkSize)), human(uint64(x.ArchiveBytes)))
	if x.MetadataMissing {
		row("metadata", "missing (the archive is damaged or cut off before it)")
	} else {
		printMeta(row, r.Meta(), x, path)
	}
	printState(row, x)
	if f := x.Freeze; f != nil && f.Mode == "precopy" {
		row("freeze", "pre-copied %s while the process ran, then re-read %s under the freeze, of which %s had changed",
			human(f.PrecopyBytes), human(f.RereadBytes), human(f.ChangedBytes))
	} else if f != nil {
		row("freeze", "%s: everything was read while the process was frozen", clean(f.Mode))
	}
	row("regions", "%d (%s)", x.Regions, regionStates(x.RegionStates))
	row("bytes", "%s mapped: %s captured (%s data, %s zero), %s unreadable, %s not captured, %s in skipped regions",
		human(x.Size), human(x.CapturedBytes), human(x.DataBytes), human(x.ZeroBytes), human(x.UnreadableBytes),
		human(x.NotCapturedBytes), human(x.SkippedBytes))
	row("threads", "%d", len(x.Threads))
	tw.Flush()
	if len(x.Threads) > 0 {
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  TID\tIP\tSP")
		for _, t := range x.Threads {
			fmt.Fprintf(tw, "  %d\t%s\t%s\n", t.TID, orUnknown(t.IP), orUnknown(t.SP))
		}
		tw.Flush()
	}
	printEnviron(w, x.infoProcess)
	for _, p := range x.Problems {
		fmt.Fprintf(w, "problem: %s\n", clean(p.Reason))
	}
}

func printMeta(row func(k, f string, a ...any), m *format.Meta, x *archiveInfo, path string) {
	row("tool", "procsnap %s", clean(m.ToolVersion))
	row("process", "pid %d (ppid %d) %s", m.PID, m.PPID, clean(m.Comm))
	row("cmdline", "%s", quoteArgs(m.Cmdline))
	row("exe", "%s", clean(m.Exe))
	if m.ExeSHA256 != "" {
		row("exe sha256", "%s", clean(m.ExeSHA256))
	}
	row("uids / gids", "%v / %v", m.UIDs, m.GIDs)
	printProcessRows(row, x.infoProcess, path)
	h := m.Host
	row("host", "%s: %s %s %s, page size %d, boot id %s", clean(h.Hostname), clean(h.KernelRelease), clean(h.KernelVersion),
		clean(h.Machine), h.PageSize, clean(h.BootID))
	row("target started", "%s", orUnknown(x.TargetStarted))
	frozen := "?"
	if x.Finished != nil {
		frozen = time.Duration(x.FrozenNS).String()
	}
	row("capture", "%s to %s, frozen for %s", orUnknown(x.Started), orUnknown(x.Finished), frozen)
	for _, f := range [][2]string{{"case", m.Case}, {"evidence id", m.EvidenceID}, {"examiner", m.Examiner}, {"note", m.Note}} {
		if f[1] != "" {
			row(f[0], "%s", clean(f[1]))
		}
	}
}

func printState(row func(k, f string, a ...any), x *archiveInfo) {
	if x.Complete {
		row("state", "complete")
	} else {
		row("state", "INCOMPLETE: %s", clean(x.Incomplete))
	}
	if x.Recovered {
		row("recovered", "yes, read by scanning because: %s", clean(x.RecoveredReason))
	} else {
		row("recovered", "no (read through the index)")
	}
}

func regionStates(m map[string]int) string {
	var parts []string
	for _, s := range []format.RegionState{format.RegionComplete, format.RegionPartial, format.RegionSkipped, format.RegionTruncated} {
		if n := m[s.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func orUnknown(s *string) string {
	if s == nil {
		return "?"
	}
	return *s
}

var plainArg = regexp.MustCompile(`^[A-Za-z0-9_./=:,+@%-]+$`)

// quoteArgs shows argv for reading: plain words as they are, anything else
// Go-quoted (so spaces and control characters are visible).
func quoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if plainArg.MatchString(a) {
			out[i] = a
		} else {
			out[i] = strconv.Quote(a)
		}
	}
	return strings.Join(out, " ")
}
