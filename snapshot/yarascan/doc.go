// Package yarascan runs YARA rules over the captured memory of snapshots,
// on the real YARA engine: Debian's yara program (4.x), driven as a child
// process, so that procsnap stays static and cgo-free.
//
// Rules are compiled once per run (Load): a rule file or a directory of
// them is compiled with yarac into a memfd, and a rule set that is already
// compiled is used as it is. Scan then hands yara every captured run of
// data pages (contiguous data pages of one region: zero, unreadable,
// not-captured and missing pages end a run) as its own buffer, so no match
// spans a gap, and maps yara's offsets back to virtual addresses.
//
// No byte of the target's memory ever reaches a file: each run is
// decompressed into its own memfd (memfd_create), and yara opens it as
// /proc/self/fd/N, inherited across exec; the list of runs yara scans
// (--scan-list) and the compiled rules are memfds too. Zero pages are never
// written anywhere. Runs are scanned in batches, one yara process per batch
// with a thread per CPU, while the next batch is decompressed.
//
// A Source is one archive; Scan takes several, so that a capture set (a
// directory of archives or a tar) can be scanned by adding its members.
//
// yarascan works offline: it imports format and must not import the
// capture code (snapshot/capture, snapshot/internal, procfs).
package yarascan
