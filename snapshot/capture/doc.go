// Package capture captures a live Linux process into a procsnap archive.
//
// By default it pre-copies: every planned page is read while the process
// runs, fingerprinted with a keyed hash and streamed into the archive's
// pre-copy section through a few reusable buffers. Then every task is
// frozen, the maps, auxv and registers are read, a new plan is made from
// the frozen maps, and every resident page is read again and compared with
// its pre-copy fingerprint; only the pages that differ are kept (in a page
// store outside the Go heap) until the thaw, after which the final section
// is written: changed pages as chunks, the rest as "as pre-copied" fills.
// The archive thus holds the process at one instant of the freeze, the
// freeze lasts one read of resident memory, and capture's memory is bounded
// by the changed pages, not by the process. ModeWhole instead reads
// everything under the freeze.
//
// The stages live in files named for them: preflight, plan, precopy,
// freeze, finalpass, write (the final section and the end), read (how
// memory is read), store (the page store), fingerprint and changes (which
// pages the final pass re-reads). One session struct holds a capture's state.
//
// The target is never left stopped: every path out of Run thaws it, and the
// tracer is built so that the kernel detaches it if procsnap dies.
//
// capture imports format, procfs and its parent's internal/ptrace and
// internal/cpuid; the offline analyses (snapshot/diff, snapshot/search,
// snapshot/elfcore) must never import it.
package capture
