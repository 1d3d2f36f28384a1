package procfs

import (
	"encoding/binary"
	"fmt"
)

// AuxvEntry is one entry of the ELF auxiliary vector: a key (an AT_* constant) and its value.
type AuxvEntry struct {
	Key, Val uint64
}

// Keys of the auxiliary vector that capture reads (see getauxval(3) and <elf.h>).
const (
	AT_NULL         = 0  // the end of the vector
	AT_PHDR         = 3  // address of the program headers
	AT_PHENT        = 4  // size of one program header
	AT_PHNUM        = 5  // number of program headers
	AT_PAGESZ       = 6  // page size
	AT_BASE         = 7  // load address of the dynamic linker
	AT_ENTRY        = 9  // entry point of the program
	AT_HWCAP        = 16 // CPU capability bits
	AT_CLKTCK       = 17 // clock ticks per second (USER_HZ): the unit of Stat.StartTime
	AT_SECURE       = 23 // set for setuid/setgid/capability execs
	AT_RANDOM       = 25 // address of 16 random bytes (the stack protector's seed)
	AT_HWCAP2       = 26 // more CPU capability bits
	AT_EXECFN       = 31 // address of the executable's path string
	AT_SYSINFO_EHDR = 33 // address of the vDSO's ELF header
	AT_MINSIGSTKSZ  = 51 // minimal signal stack size
)

// auxvEntrySize is the size of one entry of a 64-bit process: two native words.
const auxvEntrySize = 16

// Auxv reads /proc/PID/auxv: the raw bytes and the entries before AT_NULL. A kernel thread
// has none.
func (fs FS) Auxv(pid int) (raw []byte, auxv []AuxvEntry, err error) {
	path := fs.pidPath(pid, "auxv")
	raw, err = readBounded(path, maxAuxv)
	if err != nil {
		return nil, nil, err
	}
	auxv, err = ParseAuxv(raw)
	return raw, auxv, withFile(err, path)
}

// ParseAuxv parses the auxiliary vector of a 64-bit process: pairs of native-endian 64-bit
// words, ended by an AT_NULL entry that is not returned. Empty input gives no entries. (The
// vector of a 32-bit process on a 64-bit kernel has 32-bit words and is not supported.)
func ParseAuxv(raw []byte) ([]AuxvEntry, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if len(raw)%auxvEntrySize != 0 {
		return nil, &ParseError{Reason: fmt.Sprintf(
			"length %d is not a multiple of %d (a 32-bit process?)", len(raw), auxvEntrySize)}
	}
	auxv := make([]AuxvEntry, 0, len(raw)/auxvEntrySize-1)
	for off := 0; off < len(raw); off += auxvEntrySize {
		e := AuxvEntry{
			Key: binary.NativeEndian.Uint64(raw[off:]),
			Val: binary.NativeEndian.Uint64(raw[off+8:]),
		}
		if e.Key == AT_NULL {
			if off+auxvEntrySize != len(raw) {
				return nil, &ParseError{Reason: fmt.Sprintf("%d bytes after AT_NULL", len(raw)-off-auxvEntrySize)}
			}
			return auxv, nil
		}
		auxv = append(auxv, e)
	}
	return nil, &ParseError{Reason: "no AT_NULL entry at the end (truncated read?)"}
}

// AuxvValue returns the value of the first entry with the given key.
func AuxvValue(auxv []AuxvEntry, key uint64) (uint64, bool) {
	for _, e := range auxv {
		if e.Key == key {
			return e.Val, true
		}
	}
	return 0, false
}
