// Package proctest is what the live tests share to run real processes:
// the one place that builds test programs, starts targets and watches them.
//
// It owns:
//   - building, once per test binary: the C programs of testdata (BuildC),
//     or, where PROCSNAP_TEST_TARGETS names a directory, taking them
//     prebuilt from it as DIR/D/N for testdata/D/N.c (make test-kernels'
//     guest has no gcc; cmd/kerneltest builds them); Go programs of testdata
//     (BuildGo); procsnap itself as the tests run it (Procsnap: -tags
//     procsnaptest, CGO_ENABLED=0) and as released (ProcsnapRelease); and
//     anything else a test makes once (Built). Everything goes into one
//     directory that every user can read (some tests run procsnap as
//     nobody) and that Main removes when the tests end;
//   - starting a target with pipes, reading its lines and waiting, bounded,
//     for its ready line (Start, StartReady, StartC, Proc), its K=V fields
//     (Fields), re-executing the test binary as a helper (Self), and ending
//     it when the test ends: resumed, its stdin closed, waited for, killed
//     (Proc.End); a free loopback port for a server it starts (FreePort);
//   - process and task states, read through procfs's own parser (ReadStates,
//     CheckNotStopped, WaitAll, Suspend, ProcState, Children), and polling
//     for a condition (WaitFor);
//   - the helper process that holds a task under PTRACE_SEIZE (StartTracer);
//   - the driver of testdata/capture/threads.c, the counting target that
//     both the capture package's and the CLI's tests run (StartThreads), and
//     reading a target's memory (ReadMem, Words).
//
// Every package that uses it calls Main from its TestMain.
//
// proctest is imported only by tests (and never by package procfs's
// internal tests: it imports procfs, so procfs's live tests that start
// processes are an external test package). Of procsnap it imports procfs
// only: a package under test must be able to import it.
package proctest
