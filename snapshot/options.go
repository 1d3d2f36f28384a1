package snapshot

import (
	"errors"
	"fmt"
	"time"

	"github.com/procsnap/procsnap/format"
)

// Options tune a capture. The zero value captures readable regions at the
// fastest level with default sizes.
type Options struct {
	IncludeUnreadable bool         // also read regions without r permission, through /proc/PID/mem
	Level             format.Level // compression level
	ChunkSize         int          // archive chunk size; 0 = format.DefaultChunkSize
	BufferSize        int64        // memory for the frozen-phase copy; 0 = sized from the target and MemAvailable; at least MinBufferSize
	Note              string       // examiner's note, stored in the metadata
	ToolVersion       string       // procsnap version, stored in the metadata
	FreezeTimeout     time.Duration
	Progress          func(Progress) // called from the capturing goroutine; may be nil
}

// MinBufferSize is the smallest copy buffer: the largest piece of a region
// copied at once must fit. A smaller Options.BufferSize is raised to it.
const MinBufferSize = 8 << 20

// sizeText formats a byte count for a message: "1.5 GiB", "4096 B".
func sizeText(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, unit := float64(n)/1024, 0
	for ; v >= 1024 && unit < 5; unit++ {
		v /= 1024
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[unit])
}

// Progress reports how far a capture is.
type Progress struct {
	Phase string // "preparing", "frozen", "copying", "writing", "done"
	Done  int64  // bytes handled in this phase
	Total int64  // bytes this phase will handle (0 if unknown)
}

// Result summarises a capture.
type Result struct {
	PID              int
	Threads          int
	Regions          int
	CapturedBytes    uint64 // data and zero pages
	UnreadableBytes  uint64
	NotCapturedBytes uint64
	Frozen           time.Duration // from the first task stopped to the last detached
	Overflowed       bool          // the buffer was too small: part was compressed while frozen
	BufferBytes      int64
	ArchiveBytes     int64
	SHA256           [32]byte // of every byte written, as sha256sum prints it
	Complete         bool
	Reason           string // why incomplete
}

// IncompleteError is returned with a Result when an archive was written
// and closed but does not hold the whole capture: the target exited, or
// the capture was interrupted. Cause is the context cause or the error
// that stopped the copy.
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

func (o *Options) progress(phase string, done, total int64) {
	if o.Progress != nil {
		o.Progress(Progress{Phase: phase, Done: done, Total: total})
	}
}
