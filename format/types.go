package format

import (
	"fmt"
	"time"
)

// PageState is what an archive knows about one page of a region.
type PageState uint8

const (
	PageData        PageState = 0 // bytes stored in a chunk
	PageZero        PageState = 1 // known to be all zero; nothing stored
	PageUnreadable  PageState = 2 // reading failed; the errno is stored
	PageNotCaptured PageState = 3 // not read: region skipped, vanished or capture interrupted
	// PageInherit, in a fill of the final section only, says the pages
	// were the same under the freeze as in the pre-copy: the pre-copy's
	// records at the same addresses hold them. Readers resolve it; Spans
	// and ReadRange never hand it out.
	PageInherit PageState = 4
)

func (s PageState) String() string {
	switch s {
	case PageData:
		return "data"
	case PageZero:
		return "zero"
	case PageUnreadable:
		return "unreadable"
	case PageNotCaptured:
		return "not-captured"
	case PageInherit:
		return "as-pre-copied"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// RegionState is a region's final state, from its footer.
type RegionState uint8

const (
	RegionTruncated RegionState = 0 // no footer in the archive (cut off)
	RegionComplete  RegionState = 1 // every page is data, zero or unreadable
	RegionPartial   RegionState = 2 // some pages were not captured
	RegionSkipped   RegionState = 3 // not captured by plan (see Desc.Skip)
)

func (s RegionState) String() string {
	switch s {
	case RegionTruncated:
		return "truncated"
	case RegionComplete:
		return "complete"
	case RegionPartial:
		return "partial"
	case RegionSkipped:
		return "skipped"
	}
	return fmt.Sprintf("region-state(%d)", uint8(s))
}

// Method records how a region's bytes were read.
type Method uint8

const (
	MethodNone    Method = 0
	MethodVMReadv Method = 1 // process_vm_readv
	MethodProcMem Method = 2 // pread of /proc/PID/mem
	MethodMixed   Method = 3 // more than one of these
	MethodMapFile Method = 4 // pread of the shared object's file, through /proc/PID/map_files (format 1.1)
)

func (m Method) String() string {
	switch m {
	case MethodNone:
		return "none"
	case MethodVMReadv:
		return "process_vm_readv"
	case MethodProcMem:
		return "/proc/pid/mem"
	case MethodMixed:
		return "mixed"
	case MethodMapFile:
		return "map_files"
	}
	return fmt.Sprintf("method(%d)", uint8(m))
}

// Range is an address range [Start, End) with the errno that made it
// unreadable (0 when not applicable).
type Range struct {
	Start, End uint64
	Errno      uint32
}

// AppendRange appends r to rs in address order, extending the last range
// instead when r starts where it ends and has the same errno: the one rule
// that keeps a list of unreadable ranges (a footer's, a piece's failed
// pages, list's count of a cut-off region) merged.
func AppendRange(rs []Range, r Range) []Range {
	if n := len(rs); n > 0 && rs[n-1].End == r.Start && rs[n-1].Errno == r.Errno {
		rs[n-1].End = r.End
		return rs
	}
	return append(rs, r)
}

// RegionDesc describes one mapping as /proc/PID/maps showed it. It is
// written before the region's data, so a truncated archive still lists it.
type RegionDesc struct {
	Index    int
	Start    uint64
	End      uint64
	Perms    string // "rwxp" as in maps
	Offset   uint64
	DevMajor uint32
	DevMinor uint32
	Inode    uint64
	Path     string
	MapsLine string // the verbatim maps line
	Skip     string // non-empty: not captured by plan, and why
}

// Size is End-Start.
func (d RegionDesc) Size() uint64 { return d.End - d.Start }

// Footer closes a region: its final state, counters, hash and holes.
type Footer struct {
	Index            int
	State            RegionState
	Method           Method
	DataBytes        uint64 // bytes stored as data pages
	ZeroBytes        uint64
	UnreadableBytes  uint64
	NotCapturedBytes uint64
	// Hash is the xxh64 of the region's page hashes in address order, each
	// as 8 little-endian bytes (unreadable and not-captured pages hash 0).
	Hash       uint64
	Unreadable []Range
	Message    string // why the region is partial, if it is
}

// RegSet is one register set of a thread as PTRACE_GETREGSET returned it,
// tagged with its ELF note type (NTPrstatus, NTPrfpreg, NTX86Xstate, ...;
// regs.go has their layouts).
type RegSet struct {
	Type uint32
	Data []byte
}

// Thread is one thread's registers as captured while frozen.
type Thread struct {
	TID     int
	RegSets []RegSet
}

// Host identifies the machine a capture was taken on.
type Host struct {
	Hostname      string `json:"hostname"`
	KernelRelease string `json:"kernel_release"`
	KernelVersion string `json:"kernel_version"`
	Machine       string `json:"machine"`
	BootID        string `json:"boot_id"`
	PageSize      int    `json:"page_size"`
}

// Meta is the capture metadata, written first. Extra holds free key/values.
type Meta struct {
	ToolVersion      string    `json:"tool_version"`
	Host             Host      `json:"host"`
	PID              int       `json:"pid"`
	PPID             int       `json:"ppid"`
	Comm             string    `json:"comm"`
	State            string    `json:"state,omitempty"` // the /proc state letter before the freeze (R, S, T, …)
	Cmdline          []string  `json:"cmdline"`
	Environ          []string  `json:"environ,omitempty"`
	Exe              string    `json:"exe"`
	ExeSHA256        string    `json:"exe_sha256,omitempty"`
	UIDs             [4]int    `json:"uids"` // real, effective, saved, filesystem
	GIDs             [4]int    `json:"gids"`
	TargetStartTime  time.Time `json:"target_start_time"`
	CaptureStart     time.Time `json:"capture_start"`
	CaptureStartMono int64     `json:"capture_start_mono_ns"`
	Note             string    `json:"note,omitempty"`
	// The case the capture belongs to, as the examiner gave it (optional;
	// written since procsnap recorded them, absent in older archives).
	Case       string            `json:"case,omitempty"`
	EvidenceID string            `json:"evidence_id,omitempty"`
	Examiner   string            `json:"examiner,omitempty"`
	Extra      map[string]string `json:"extra,omitempty"`
	// XSaveLayout is the capturing CPU's XSAVE standard-format layout: where
	// its NT_X86_XSTATE register sets hold each state component. It differs
	// between CPUs (AMD without MPX puts AVX-512 where Intel has MPX), so an
	// XSAVE buffer cannot be read without it. Empty in archives written
	// before procsnap recorded it, and on CPUs without XSAVE.
	XSaveLayout []XSaveComponent `json:"xsave_layout,omitempty"`
}

// XSaveComponent is one XSAVE state component in the standard format: bytes
// [Offset, Offset+Size) of an NT_X86_XSTATE register set hold component
// Feature (its XCR0 bit number), as CPUID leaf 0xD sub-leaf Feature said on
// the capturing machine. The kernel's NT_X86_XSAVE_LAYOUT core note holds
// the same (type, size, offset).
type XSaveComponent struct {
	Feature uint32 `json:"feature"`
	Offset  uint32 `json:"offset"`
	Size    uint32 `json:"size"`
}

// Freeze is the freeze record, written as the freeze begins: it ends the
// pre-copy (if there was one) and starts the final section, which
// describes the process at one instant of the freeze. How long the freeze
// lasted and what the final pass found are in the end record.
type Freeze struct {
	Mode         string    `json:"mode"`                   // "precopy" or "whole"
	PrecopyStart time.Time `json:"precopy_start,omitzero"` // zero without a pre-copy
	PrecopyEnd   time.Time `json:"precopy_end,omitzero"`
	Start        time.Time `json:"start"`                // the first task stopped
	StartMono    int64     `json:"start_mono_ns"`        // CLOCK_MONOTONIC
	KeyedHash    string    `json:"keyed_hash,omitempty"` // the page fingerprint comparing the passes, e.g. "highwayhash-64"
	Changes      string    `json:"changes,omitempty"`    // which pages the final pass re-read, e.g. "reread-all"
}

// End is the end record: how the capture finished, with totals.
type End struct {
	Complete         bool      `json:"complete"`
	Reason           string    `json:"reason,omitempty"` // why incomplete
	Finished         time.Time `json:"finished"`
	FinishedMono     int64     `json:"finished_mono_ns"`
	FrozenNS         int64     `json:"frozen_ns"`
	Threads          int       `json:"threads"`
	Regions          int       `json:"regions"`
	DataBytes        uint64    `json:"data_bytes"`
	ZeroBytes        uint64    `json:"zero_bytes"`
	UnreadableBytes  uint64    `json:"unreadable_bytes"`
	NotCapturedBytes uint64    `json:"not_captured_bytes"`
	// Version 2: the end of the freeze and what the final pass did.
	FreezeEnd     time.Time         `json:"freeze_end,omitzero"`
	FreezeEndMono int64             `json:"freeze_end_mono_ns,omitempty"`
	PrecopyBytes  uint64            `json:"precopy_bytes,omitempty"` // read while the process ran
	RereadBytes   uint64            `json:"reread_bytes,omitempty"`  // read under the freeze
	ChangedBytes  uint64            `json:"changed_bytes,omitempty"` // of those, found changed since the pre-copy
	Extra         map[string]string `json:"extra,omitempty"`
}
