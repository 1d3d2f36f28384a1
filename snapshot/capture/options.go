package capture

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/procsnap/procsnap/format"
)

// Mode is how a capture freezes the target.
type Mode string

const (
	// ModePrecopy copies every page while the target runs, then freezes
	// it, re-reads every resident page and keeps those that changed: the
	// freeze lasts one read of resident memory, and capture needs memory
	// for the changed pages only. The default.
	ModePrecopy Mode = "precopy"
	// ModeWhole copies everything while frozen, into memory, and
	// compresses after the thaw: one read, but memory as large as the
	// target and a longer freeze.
	ModeWhole Mode = "whole"
)

// ParseMode reads a --freeze value.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case ModePrecopy, ModeWhole:
		return Mode(s), nil
	}
	return "", fmt.Errorf("unknown freeze mode %q: want precopy or whole", s)
}

// Options tune a capture. The zero value pre-copies readable regions at
// the fastest compression level with default sizes.
type Options struct {
	Mode Mode // "" means ModePrecopy
	// TrackWrites clears the target's soft-dirty bits before the pre-copy
	// and re-reads under the freeze only the private anonymous pages the
	// kernel saw written since (plus everything else in full). It changes
	// the target's soft-dirty state, so it is opt-in; a kernel without
	// soft-dirty refuses it. ModePrecopy only.
	TrackWrites       bool
	IncludeUnreadable bool         // also read regions without r permission, through /proc/PID/mem
	Level             format.Level // compression level
	ChunkSize         int          // archive chunk size; 0 = format.DefaultChunkSize
	// BufferSize bounds the memory for pages kept under the freeze (the
	// changed pages, or everything with ModeWhole); beyond it they are
	// compressed and written while frozen. 0 = half of MemAvailable.
	BufferSize    int64
	Note          string // examiner's note, stored in the metadata
	Case          string // case name or number, stored in the metadata
	EvidenceID    string // evidence item identifier, stored in the metadata
	Examiner      string // who captured, stored in the metadata
	ToolVersion   string // procsnap version, stored in the metadata
	FreezeTimeout time.Duration
	Progress      func(Progress) // called from the capturing goroutine; may be nil
}

// MinBufferSize is the smallest BufferSize: a slab of the page store for
// each of two final-pass workers. A smaller one is raised to it.
const MinBufferSize = 8 << 20

// Phase is a stage of a capture, as Progress reports it.
type Phase string

const (
	PhasePreparing Phase = "preparing"
	PhasePrecopy   Phase = "pre-copy" // reading while the target runs
	PhaseFrozen    Phase = "frozen"   // re-reading (or reading) under the freeze
	PhaseWriting   Phase = "writing"  // compressing what the freeze kept, after the thaw
	PhaseDone      Phase = "done"
)

// Progress reports how far a capture is.
type Progress struct {
	Phase Phase
	Done  int64 // bytes handled in this phase
	Total int64 // bytes this phase will handle (0 if unknown)
}

// Result summarises a capture.
type Result struct {
	PID              int
	Mode             Mode
	Threads          int
	Regions          int
	CapturedBytes    uint64 // data and zero pages
	UnreadableBytes  uint64
	NotCapturedBytes uint64
	PrecopyBytes     uint64        // read while the target ran
	RereadBytes      uint64        // read under the freeze
	ChangedBytes     uint64        // of those, kept because they differed from the pre-copy
	Frozen           time.Duration // from the first task stopped to the last detached
	Overflowed       bool          // the kept pages outgrew BufferSize: part was compressed while frozen
	BufferBytes      int64         // the bound on kept pages
	ArchiveBytes     int64
	SHA256           [32]byte // of every byte written, as sha256sum prints it
	Complete         bool
	Reason           string // why incomplete
	// Meta is the metadata the archive holds (nil before it was written),
	// and Finished the end record's time.
	Meta     *format.Meta
	Finished time.Time
}

// IncompleteError is returned with a Result when an archive was written
// and closed but does not hold the whole capture: the target exited, the
// capture was interrupted, or it failed after the archive began. Cause
// is the context cause or the error that stopped it.
type IncompleteError struct {
	Reason string
	Cause  error
}

func (e *IncompleteError) Error() string { return "archive incomplete: " + e.Reason }
func (e *IncompleteError) Unwrap() error { return e.Cause }

// ErrTargetExited is the Cause of an IncompleteError when the target
// died during the capture.
var ErrTargetExited = errors.New("target exited during the capture")

func (o *Options) defaults() error {
	if o.Mode == "" {
		o.Mode = ModePrecopy
	}
	if _, err := ParseMode(string(o.Mode)); err != nil {
		return err
	}
	if o.TrackWrites && o.Mode != ModePrecopy {
		return fmt.Errorf("write tracking needs the pre-copy (--freeze=precopy): with --freeze=%s every page is read under the freeze anyway", o.Mode)
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = format.DefaultChunkSize
	}
	if o.FreezeTimeout == 0 {
		o.FreezeTimeout = 10 * time.Second
	}
	if o.BufferSize < 0 {
		return fmt.Errorf("buffer size %d is negative", o.BufferSize)
	}
	return nil
}

func (o *Options) progress(phase Phase, done, total int64) {
	if o.Progress != nil {
		o.Progress(Progress{Phase: phase, Done: done, Total: total})
	}
}

// Target is one process of Together and where its archive goes.
type Target struct {
	PID int
	W   io.Writer
}

// Outcome is what Run would have returned for one Target.
type Outcome struct {
	Result *Result
	Err    error
}
