package elfcore

import (
	"strings"

	"github.com/procsnap/procsnap/format"
)

// Note types (include/uapi/linux/elf.h). Those of the register sets are
// the types the archive records them under, defined by format.
const (
	ntPrstatus  = format.NTPrstatus
	ntPrfpreg   = format.NTPrfpreg
	ntPrpsinfo  = 3
	ntAuxv      = 6
	ntFile      = 0x46494c45 // "FILE"
	ntX86Xstate = format.NTX86Xstate
)

// x86-64 layouts of the note descriptors.
const (
	prstatusSize       = 336                 // struct elf_prstatus
	prstatusPidOff     = 32                  // pr_pid: the thread id
	prstatusPpidOff    = 36                  // pr_ppid
	prstatusRegOff     = 112                 // pr_reg: struct user_regs_struct
	prstatusFpvalidOff = 328                 // pr_fpvalid
	userRegsSize       = format.UserRegsSize // pr_reg's size: NT_PRSTATUS register sets hold it
	fpregsSize         = format.FPRegsSize   // struct user_fpregs_struct (fxsave area)
	xstateMinSize      = 576                 // fxsave area + xsave header

	prpsinfoSize     = 136 // struct elf_prpsinfo
	prpsinfoUIDOff   = 16
	prpsinfoGIDOff   = 20
	prpsinfoPidOff   = 24
	prpsinfoPpidOff  = 28
	prpsinfoFnameOff = 40
	prpsinfoFnameLen = 16
	prpsinfoArgsOff  = 56
	prpsinfoArgsLen  = 80 // ELF_PRARGSZ
)

// Bounds on notes built from archive contents (the archive is hostile).
const (
	// MaxAuxvLen bounds NT_AUXV. A real auxv is under 1 KiB.
	MaxAuxvLen = 64 << 10
	// MaxFileNoteLen bounds NT_FILE; a larger table is left out, as the
	// kernel does beyond its core_file_note_size_limit.
	MaxFileNoteLen = 64 << 20
)

// note is one ELF note. Its name is written NUL-terminated and padded to
// 4 bytes, as is its descriptor.
type note struct {
	name string
	typ  uint32
	desc []byte
}

func (n note) size() uint64 {
	return 12 + alignUp(uint64(len(n.name))+1, noteAlign) + alignUp(uint64(len(n.desc)), noteAlign)
}

func (n note) appendTo(b []byte) []byte {
	b = le.AppendUint32(b, uint32(len(n.name)+1))
	b = le.AppendUint32(b, uint32(len(n.desc)))
	b = le.AppendUint32(b, n.typ)
	b = append(b, n.name...)
	b = append(b, make([]byte, alignUp(uint64(len(n.name))+1, noteAlign)-uint64(len(n.name)))...)
	b = append(b, n.desc...)
	return append(b, make([]byte, alignUp(uint64(len(n.desc)), noteAlign)-uint64(len(n.desc)))...)
}

// prstatus builds a thread's NT_PRSTATUS from its captured registers. No
// signal is recorded: the process did not die, it was frozen.
func prstatus(tid, ppid int, regs []byte, fpvalid bool) note {
	b := make([]byte, prstatusSize)
	le.PutUint32(b[prstatusPidOff:], uint32(tid))
	le.PutUint32(b[prstatusPpidOff:], uint32(ppid))
	copy(b[prstatusRegOff:prstatusRegOff+userRegsSize], regs)
	if fpvalid {
		le.PutUint32(b[prstatusFpvalidOff:], 1)
	}
	return note{name: "CORE", typ: ntPrstatus, desc: b}
}

// prpsinfo builds NT_PRPSINFO from the capture metadata. The state is
// 't' (tracing stop): procsnap freezes every task of the target with
// ptrace while it captures, and the archive records no other state.
func prpsinfo(m *format.Meta) note {
	b := make([]byte, prpsinfoSize)
	b[0], b[1] = prState(m.State)
	le.PutUint32(b[prpsinfoUIDOff:], uint32(m.UIDs[0]))
	le.PutUint32(b[prpsinfoGIDOff:], uint32(m.GIDs[0]))
	le.PutUint32(b[prpsinfoPidOff:], uint32(m.PID))
	le.PutUint32(b[prpsinfoPpidOff:], uint32(m.PPID))
	comm := strings.TrimRight(m.Comm, "\n")
	copy(b[prpsinfoFnameOff:prpsinfoFnameOff+prpsinfoFnameLen-1], comm)
	args := []byte(strings.Join(m.Cmdline, " "))
	n := copy(b[prpsinfoArgsOff:prpsinfoArgsOff+prpsinfoArgsLen-1], args)
	for i := prpsinfoArgsOff; i < prpsinfoArgsOff+n; i++ {
		if b[i] == 0 { // an argument with a NUL in it: the kernel shows spaces
			b[i] = ' '
		}
	}
	return note{name: "CORE", typ: ntPrpsinfo, desc: b}
}

// prState is pr_state (the index of the state in the kernel's "RSDTZW")
// and pr_sname (the letter) for the state recorded before the freeze; 't'
// (traced) when none was recorded.
func prState(state string) (byte, byte) {
	if len(state) != 1 {
		return 3, 't'
	}
	c := state[0]
	i := strings.IndexByte("RSDTZW", c)
	if c == 't' {
		i = 3
	}
	if i < 0 {
		i = 0
	}
	return byte(i), c
}

// fileBacked reports whether a region maps a file, as the kernel's NT_FILE
// counts mappings with a vm_file: an inode, or an absolute path.
func fileBacked(d format.RegionDesc) bool {
	if d.Path == "" || strings.HasPrefix(d.Path, "[") {
		return false
	}
	return d.Inode != 0 || strings.HasPrefix(d.Path, "/")
}

// fileNote builds NT_FILE from the file-backed regions, in address order:
// {count, page_size, count × {start, end, offset in pages}, names}. A path
// holding a NUL cannot be written and is left out; a table above
// MaxFileNoteLen is left out whole. ok is false when there is no note.
func fileNote(regions []*format.Region, pageSize uint64, warn *warnings) (n note, ok bool) {
	var keep []*format.Region
	size := uint64(16)
	for _, g := range regions {
		d := g.Desc
		if !fileBacked(d) || d.End <= d.Start {
			continue
		}
		if strings.IndexByte(d.Path, 0) >= 0 {
			warn.add("region %d (%#x-%#x): its path holds a NUL byte; left out of NT_FILE", d.Index, d.Start, d.End)
			continue
		}
		keep = append(keep, g)
		size += 24 + uint64(len(d.Path)) + 1
		if size > MaxFileNoteLen {
			warn.add("NT_FILE would be above %d bytes (file-backed regions from the archive); left out: gdb will not find mapped files", MaxFileNoteLen)
			return note{}, false
		}
	}
	if len(keep) == 0 {
		return note{}, false
	}
	b := make([]byte, 0, size)
	b = le.AppendUint64(b, uint64(len(keep)))
	b = le.AppendUint64(b, pageSize)
	for _, g := range keep {
		b = le.AppendUint64(b, g.Desc.Start)
		b = le.AppendUint64(b, g.Desc.End)
		b = le.AppendUint64(b, g.Desc.Offset/pageSize)
	}
	for _, g := range keep {
		b = append(b, g.Desc.Path...)
		b = append(b, 0)
	}
	return note{name: "CORE", typ: ntFile, desc: b}, true
}

// auxvNote builds NT_AUXV from the raw auxv, within MaxAuxvLen.
func auxvNote(auxv []byte, warn *warnings) (note, bool) {
	switch {
	case len(auxv) == 0:
		warn.add("the archive holds no auxv: gdb may not relocate a PIE executable")
		return note{}, false
	case len(auxv) > MaxAuxvLen:
		warn.add("auxv of %d bytes is above the limit of %d; NT_AUXV left out", len(auxv), MaxAuxvLen)
		return note{}, false
	case len(auxv)%16 != 0:
		warn.add("auxv of %d bytes is not a whole number of 16-byte entries; written as it is", len(auxv))
	}
	return note{name: "CORE", typ: ntAuxv, desc: auxv}, true
}
