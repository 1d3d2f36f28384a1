package ptrace

import (
	"encoding/binary"
	"fmt"
)

// Register set types, the ELF core note types that PTRACE_GETREGSET takes.
const (
	NTPrstatus  = 1     // NT_PRSTATUS: struct user_regs_struct, 216 bytes on x86-64
	NTPrfpreg   = 2     // NT_PRFPREG: struct user_i387_struct, 512 bytes (FXSAVE layout)
	NTX86Xstate = 0x202 // NT_X86_XSTATE: the XSAVE area; its size depends on the CPU
)

// RegSet is one register set of a frozen task, as the kernel returned it.
type RegSet struct {
	Type uint32 // NTPrstatus, NTPrfpreg or NTX86Xstate
	Data []byte
}

// TaskError reports a ptrace request that failed for one task.
// errors.Is(err, unix.EPERM) on it means the task could not be traced (see
// Detail); unix.ESRCH means the task is gone.
type TaskError struct {
	Op     string // "seize", "interrupt", "wait", "detach", "getregset", ...
	Tid    int
	Err    error
	Detail string // the likely cause and what to check; may be empty
}

func (e *TaskError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s %d: %v (%s)", e.Op, e.Tid, e.Err, e.Detail)
	}
	return fmt.Sprintf("%s %d: %v", e.Op, e.Tid, e.Err)
}

func (e *TaskError) Unwrap() error { return e.Err }

// x86-64 struct user_regs_struct: 27 unsigned longs.
const (
	prstatusSize = 27 * 8
	ripOffset    = 16 * 8
	rspOffset    = 19 * 8
)

// InstructionPointer returns rip from an x86-64 NT_PRSTATUS register set.
func InstructionPointer(prstatus []byte) (uint64, error) {
	return prstatusWord(prstatus, ripOffset)
}

// StackPointer returns rsp from an x86-64 NT_PRSTATUS register set.
func StackPointer(prstatus []byte) (uint64, error) {
	return prstatusWord(prstatus, rspOffset)
}

func prstatusWord(prstatus []byte, off int) (uint64, error) {
	if len(prstatus) != prstatusSize {
		return 0, fmt.Errorf("NT_PRSTATUS is %d bytes, want %d (x86-64 user_regs_struct)", len(prstatus), prstatusSize)
	}
	return binary.LittleEndian.Uint64(prstatus[off:]), nil
}
