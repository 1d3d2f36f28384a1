package elfcore

import "encoding/binary"

// ELF64 constants used in a core file (elf(5)).
const (
	ehdrSize = 64 // Elf64_Ehdr
	phdrSize = 56 // Elf64_Phdr
	shdrSize = 64 // Elf64_Shdr

	elfClass64    = 2
	elfData2LSB   = 1
	evCurrent     = 1
	elfOSABINone  = 0
	etCore        = 4
	emX86_64      = 62
	ptLoad        = 1
	ptNote        = 4
	pfX           = 1
	pfW           = 2
	pfR           = 4
	pnXNum        = 0xffff // e_phnum when the real count is in section 0's sh_info
	noteAlign     = 4
	maxPhnum      = 1<<32 - 1 // sh_info is a u32
	elfMagic      = "\x7fELF"
	shnUndef      = 0
	elfIdentBytes = 16
)

var le = binary.LittleEndian

// elfHeader is Elf64_Ehdr.
type elfHeader struct {
	Type      uint16
	Machine   uint16
	Version   uint32
	Entry     uint64
	Phoff     uint64
	Shoff     uint64
	Flags     uint32
	Ehsize    uint16
	Phentsize uint16
	Phnum     uint16
	Shentsize uint16
	Shnum     uint16
	Shstrndx  uint16
}

func (h elfHeader) appendTo(b []byte) []byte {
	var ident [elfIdentBytes]byte
	copy(ident[:], elfMagic)
	ident[4], ident[5], ident[6], ident[7] = elfClass64, elfData2LSB, evCurrent, elfOSABINone
	b = append(b, ident[:]...)
	b = le.AppendUint16(b, h.Type)
	b = le.AppendUint16(b, h.Machine)
	b = le.AppendUint32(b, h.Version)
	b = le.AppendUint64(b, h.Entry)
	b = le.AppendUint64(b, h.Phoff)
	b = le.AppendUint64(b, h.Shoff)
	b = le.AppendUint32(b, h.Flags)
	b = le.AppendUint16(b, h.Ehsize)
	b = le.AppendUint16(b, h.Phentsize)
	b = le.AppendUint16(b, h.Phnum)
	b = le.AppendUint16(b, h.Shentsize)
	b = le.AppendUint16(b, h.Shnum)
	return le.AppendUint16(b, h.Shstrndx)
}

// progHeader is Elf64_Phdr.
type progHeader struct {
	Type   uint32
	Flags  uint32
	Offset uint64
	Vaddr  uint64
	Paddr  uint64
	Filesz uint64
	Memsz  uint64
	Align  uint64
}

func (p progHeader) appendTo(b []byte) []byte {
	b = le.AppendUint32(b, p.Type)
	b = le.AppendUint32(b, p.Flags)
	b = le.AppendUint64(b, p.Offset)
	b = le.AppendUint64(b, p.Vaddr)
	b = le.AppendUint64(b, p.Paddr)
	b = le.AppendUint64(b, p.Filesz)
	b = le.AppendUint64(b, p.Memsz)
	return le.AppendUint64(b, p.Align)
}

// sectHeader is Elf64_Shdr. A core has one only with PN_XNUM: section 0,
// SHT_NULL, whose sh_info holds the real number of program headers.
type sectHeader struct {
	Name      uint32
	Type      uint32
	Flags     uint64
	Addr      uint64
	Offset    uint64
	Size      uint64
	Link      uint32
	Info      uint32
	Addralign uint64
	Entsize   uint64
}

func (s sectHeader) appendTo(b []byte) []byte {
	b = le.AppendUint32(b, s.Name)
	b = le.AppendUint32(b, s.Type)
	b = le.AppendUint64(b, s.Flags)
	b = le.AppendUint64(b, s.Addr)
	b = le.AppendUint64(b, s.Offset)
	b = le.AppendUint64(b, s.Size)
	b = le.AppendUint32(b, s.Link)
	b = le.AppendUint32(b, s.Info)
	b = le.AppendUint64(b, s.Addralign)
	return le.AppendUint64(b, s.Entsize)
}

// permFlags turns a maps "rwxp" column into p_flags. A short or odd string
// (hostile archive) gives the flags it spells and no others.
func permFlags(perms string) uint32 {
	var f uint32
	if len(perms) > 0 && perms[0] == 'r' {
		f |= pfR
	}
	if len(perms) > 1 && perms[1] == 'w' {
		f |= pfW
	}
	if len(perms) > 2 && perms[2] == 'x' {
		f |= pfX
	}
	return f
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) &^ (a - 1) }
