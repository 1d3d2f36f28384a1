// Command psprofile profiles one procsnap capture phase by phase: where
// the pre-copy, the freeze and the work after the thaw spend their time.
// It is a developer's tool, not part of make bench:
//
//	go run ./cmd/psbench/psprofile -size 2GiB -runs 3 -out /tmp/psprof
//	go tool pprof -top /tmp/psprof/pre-copy-*.pprof
//
// It builds and starts the bench target (cmd/psbench/target/target.c,
// churning as in make bench), calls capture.Run in-process into a file in
// -out with the options procsnap capture uses by default, and writes one
// CPU profile per phase and run (preparing, pre-copy, frozen, writing, fsync), a
// heap profile just after the thaw, and a timeline of each run from the
// progress callbacks and the archive's freeze and end records, with its
// peak RSS (VmHWM, reset before each run) and the Go runtime's memory. The profile is switched at each phase change by
// a goroutine of its own, so a few milliseconds around each change may
// fall into the neighbouring profile. The profiles sample at pprof's
// 100 Hz: Linux checks CPU-time timers at its scheduler tick, so a higher
// rate (runtime.SetCPUProfileRate) loses samples and understates every
// cost; merge the profiles of several runs to see a short freeze.
//
// Unlike cmd/psbench, which judges procsnap as a program and must not
// share its code, psprofile imports snapshot/capture on purpose: it looks
// inside it. It changes nothing in it.
package main
