// Package elfcore turns a procsnap archive into an ELF core file that gdb,
// readelf and other ELF tools open: an ELF64 ET_CORE image for x86-64 with
// one PT_NOTE segment (NT_PRSTATUS per thread, NT_PRPSINFO, NT_AUXV,
// NT_FILE, and NT_PRFPREG / NT_X86_XSTATE where they were captured) and one
// or more PT_LOAD segments per captured region.
//
// The layout follows the Linux kernel's core dumps (fs/binfmt_elf.c):
// header, program headers, the notes, padding to a page, then the memory.
// Every offset is computed before the first byte is written (Plan), so the
// core is written strictly sequentially (Core.Write) and may go to a pipe.
// Region data is streamed chunk by chunk through format.Reader.ReadRange;
// no region is held in memory whole.
//
// What a segment holds:
//
//   - Data and zero pages stored in chunks are written as they are (zero
//     pages as zeros), so a region captured whole is one PT_LOAD whose file
//     bytes equal the archive's bytes.
//   - Unreadable pages, pages not captured (skipped regions, regions cut off
//     or damaged, capture interrupted) and zero fills of anonymous regions
//     are split out into their own PT_LOAD with p_filesz 0. gdb reads such
//     a segment as zeros, after first trying the file NT_FILE names for the
//     mapping when that file exists on the analysis machine.
//   - Zero fills of file-backed regions are written as zeros (up to
//     ZeroFillLimit in all), so that gdb does not read the mapped file's
//     bytes where the process had zeros.
//
// NT_X86_XSTATE is rewritten from the capturing CPU's XSAVE layout (the
// archive's metadata records it) into the one gdb reads: Intel's offsets,
// at the size gdb computes from XCR0 (xstate.go).
//
// The archive is hostile input: counts and sizes from it are bounded
// (notes, NT_FILE, zero fills), register sets of the wrong size are left
// out with a warning, and nothing in it can make Plan or Write panic.
//
// elfcore works offline on format.Reader only: it must not import the
// capture code (package snapshot and its internal packages) or procfs.
package elfcore
