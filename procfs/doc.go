// Package procfs reads /proc exactly and within bounds.
//
// It owns every read of /proc that capture needs: the memory map (maps, the VmFlags of one
// smaps block, pagemap), the thread list, status and stat, cmdline, environ, auxv, comm, the
// exe, cwd and root links, and the host facts recorded for provenance. Each /proc file has its
// own file here with a pure parser that tests call directly; an FS rooted at a directory lets
// the tests read a fixtures tree under testdata/procfs instead of /proc.
//
// Exact means that nothing the kernel printed is lost or normalised: a maps path keeps its
// repeated and trailing spaces and its " (deleted)" suffix, the verbatim line and the raw bytes
// of the file are kept beside the parsed fields, and a line the parser does not recognise is a
// *ParseError naming the file, the line number and the text, never a silently skipped line.
// Bounded means that every read has a size limit (the size that stat reports for a /proc file
// is not its length) and fails with ErrTooLarge beyond it.
//
// It writes one file: clear_refs, to clear a process's soft-dirty bits (ClearSoftDirty) for a
// caller that tracks writes; nothing else here changes a process.
//
// procfs never ptraces and never stops a process: freezing the target is the caller's job
// (package snapshot). It must not import format or snapshot; they import it.
package procfs
