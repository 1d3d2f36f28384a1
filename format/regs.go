package format

import (
	"encoding/binary"
	"fmt"
)

// Register set types: the ELF note types that PTRACE_GETREGSET takes and RegSet.Type records
// (include/uapi/linux/elf.h).
const (
	NTPrstatus  = 1     // NT_PRSTATUS: struct user_regs_struct, UserRegsSize bytes on x86-64
	NTPrfpreg   = 2     // NT_PRFPREG: struct user_i387_struct, FPRegsSize bytes (the FXSAVE layout)
	NTX86Xstate = 0x202 // NT_X86_XSTATE: the XSAVE area, laid out as Meta.XSaveLayout says
)

// The x86-64 register layouts, the one definition the capture, info and export-core share.
const (
	// UserRegsSize is the size of struct user_regs_struct (arch/x86/include/asm/user_64.h):
	// 27 unsigned longs, r15 first.
	UserRegsSize = 27 * 8
	// FPRegsSize is the size of struct user_i387_struct, the FXSAVE area.
	FPRegsSize = 512

	ripOffset = 16 * 8 // user_regs_struct.ip
	rspOffset = 19 * 8 // user_regs_struct.sp
)

// InstructionPointer returns rip from an x86-64 NT_PRSTATUS register set.
func InstructionPointer(prstatus []byte) (uint64, error) {
	return userRegsWord(prstatus, ripOffset)
}

// StackPointer returns rsp from an x86-64 NT_PRSTATUS register set.
func StackPointer(prstatus []byte) (uint64, error) {
	return userRegsWord(prstatus, rspOffset)
}

func userRegsWord(prstatus []byte, off int) (uint64, error) {
	if len(prstatus) != UserRegsSize {
		return 0, fmt.Errorf("NT_PRSTATUS is %d bytes, want %d (x86-64 user_regs_struct)", len(prstatus), UserRegsSize)
	}
	return binary.LittleEndian.Uint64(prstatus[off:]), nil
}

// RegSet returns the data of the thread's first register set of type typ.
func (t Thread) RegSet(typ uint32) ([]byte, bool) {
	for _, r := range t.RegSets {
		if r.Type == typ {
			return r.Data, true
		}
	}
	return nil, false
}
