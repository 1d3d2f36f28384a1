// Command psbench is the `make bench` harness: it measures procsnap against
// gcore (plus zstd -1 of gcore's core) and against the physical limit of
// the freeze, a raw process_vm_readv copy of the same target, in one run;
// then procsnap alone on a target larger than half of the machine's memory.
//
// The target (target/target.c, embedded and built with the C compiler at
// run time, like target/launch.c, which starts every measured program so
// that its peak RSS is its own; internal/benchtarget drives it, for
// psprofile too) holds mixed pages, a monitor thread that
// records its longest stall, so frozen time is measured by the frozen
// process itself for every tool alike, and a churn thread that rewrites
// pages while it is captured, so procsnap's pre-copy meets changed pages.
// Run writes a Report; the Report renders the table of docs/PERFORMANCE.md
// and the targets each figure must meet.
//
// psbench drives procsnap as a program, the way users run it, and imports
// only package format (to read an archive's own figures and to time a full
// decompression). It must not import snapshot or procfs: the limit it
// measures must not share code with the tool it judges. So it is the one
// program besides procfs that reads /proc (a target's maps for the raw
// copy; meminfo, cpuinfo and loadavg to describe the machine), each read
// in machine_linux.go and rawcopy_linux.go. (Its test builds
// procsnap with internal/proctest, the tests' helpers, which the harness
// itself does not import.)
package main
