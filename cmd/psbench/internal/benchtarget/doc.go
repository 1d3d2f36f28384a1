// Package benchtarget builds and drives the bench target,
// cmd/psbench/target/target.c: it starts it, reads its ready line and
// talks to it on its stdin and stdout (reset and read the longest stall its
// monitor saw, change pages, churn on and off, quit). The make bench harness
// (cmd/psbench) and the phase profiler (cmd/psbench/psprofile) both run it.
//
// It imports only the standard library: the harness must not share code
// with the tool it judges (snapshot, procfs).
package benchtarget
