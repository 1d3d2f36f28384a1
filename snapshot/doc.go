// Package snapshot captures a live Linux process into a procsnap archive:
// preflight, freeze every thread, read maps, auxv and registers, copy every
// readable page into a buffer allocated before the freeze, thaw, then
// compress and write the archive through package format.
//
// The target is never left stopped: every path out of Capture thaws it, and
// the tracer is built so that the kernel detaches it if procsnap dies.
//
// snapshot imports format, procfs and its own internal/ptrace and
// internal/cpuid (the CPU's XSAVE layout, recorded in the metadata); the offline
// analyses (snapshot/diff, snapshot/search, snapshot/elfcore) must never
// import this package's capture code.
package snapshot
