// Package procfs reads /proc exactly and within bounds.
//
// It is the one package of procsnap that opens /proc, and owns every read of it: the memory
// map (maps, the VmFlags of one smaps block, pagemap, map_files), the thread list, status and
// stat (with the tracer of a task), cmdline, environ, auxv, comm, the exe, cwd and root links,
// the mem file capture reads through, meminfo, Yama's ptrace_scope, and the host facts
// recorded for provenance. Each /proc file has its own file here with a pure parser that tests
// call directly; an FS rooted at a directory lets the tests read a fixtures tree under
// testdata/procfs instead of /proc.
//
// Exact means that nothing the kernel printed is lost or normalised: a maps path keeps its
// repeated and trailing spaces and its " (deleted)" suffix, the verbatim line and the raw bytes
// of the file are kept beside the parsed fields, and a line the parser does not recognise is a
// *ParseError naming the file, the line number and the text, never a silently skipped line.
// Bounded means that every read has a size limit (the size that stat reports for a /proc file
// is not its length) and fails with ErrTooLarge beyond it.
//
// It writes one file: clear_refs, to clear a process's soft-dirty bits (ClearSoftDirty) for a
// caller that tracks writes, or to reset its peak RSS (ResetPeakRSS) for a profiler; nothing
// else here changes a process.
//
// procfs never ptraces and never stops a process: freezing the target is the caller's job
// (package snapshot/capture, whose tracer reads /proc through procfs too). It must not import
// format or snapshot; they import it.
package procfs
