package main

import (
	"encoding/json"
	"path"

	"github.com/procsnap/procsnap/cmd/kerneltest/internal/proto"
)

// suite is one package whose tests run in the guest.
type suite struct {
	name string // the package directory, relative to the module root
	run  string // -test.run ("" for every test)
	skip string // -test.skip
	// env is added to the suite's environment (KEY=VALUE).
	env []string
}

// suites are the packages with live tests: they read the real /proc,
// freeze real processes and capture them, so their results depend on the
// kernel. Every test of each runs (the pure parser tests too: they cost
// little). The guest's CPU is about 35 times slower than the host's
// (TCG), so the capture tests' work is shrunk, never their checks:
//
//   - TestPrecopyExactUnderChurn: 4 captures instead of 20, and the churn
//     target's stamping threads own 256 pages (1 MiB) each instead of 4096,
//     in TestInterruptedInEachPhase too. Its 20 captures of 4 × 16 MiB
//     take minutes there; each capture still sees pages change between
//     the pre-copy and the freeze (the test fails otherwise).
//   - TestCaptureFreezesWholeProcess: 3 captures instead of 10 (about 5 s
//     each there, with 32 counting threads on 2 CPUs).
//   - TestCaptureSmallBuffer: 16 MiB of random data instead of 64, still
//     twice the 8 MiB store it must overflow (73 s there with 64).
var suites = []suite{
	{name: "procfs"},
	{name: "snapshot/internal/ptrace"},
	{name: "snapshot/capture", env: []string{
		"PROCSNAP_CHURN_ROUNDS=4",
		"PROCSNAP_CHURN_PAGES=256",
		"PROCSNAP_FREEZE_ROUNDS=3",
		"PROCSNAP_BIG_MIB=16",
		// --track-writes: 20 exact captures under churn as the issue asks,
		// of a smaller churn target; the 256 MiB freeze comparison once.
		"PROCSNAP_TRACK_ROUNDS=20",
		"PROCSNAP_TRACK_FREEZE_ROUNDS=1",
	}},
}

// manifest is what /init runs for these suites on kernel k.
func manifest(suites []suite, k *kernel, runOverride string) *proto.Manifest {
	m := &proto.Manifest{Env: []string{
		"HOME=/tmp",
		"TMPDIR=/tmp",
		"PROCSNAP_TEST_TARGETS=" + guestTargets,
		// What the kernel's own configuration says it has; the tests that
		// read these assert it instead of skipping, so a run cannot pass
		// by silently taking another path than the one this kernel has.
		"PROCSNAP_KERNEL_PAGEMAP_SCAN=" + yesNo(k.pagemapScan()),
		"PROCSNAP_KERNEL_SOFT_DIRTY=" + yesNo(k.softDirty()),
	}}
	for _, s := range suites {
		args := []string{"-test.v", "-test.count=1", "-test.timeout=10m"}
		run, skip := s.run, s.skip
		if runOverride != "" {
			run, skip = runOverride, ""
		}
		if run != "" {
			args = append(args, "-test.run="+run)
		}
		if skip != "" {
			args = append(args, "-test.skip="+skip)
		}
		dir := path.Join(guestRoot, s.name)
		ms := proto.Suite{Name: s.name, Dir: dir, Binary: path.Join(dir, path.Base(s.name)+".test"), Args: args, Env: s.env}
		m.Suites = append(m.Suites, ms)
	}
	return m
}

// manifestJSON encodes m; a Manifest always encodes.
func manifestJSON(m *proto.Manifest) []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
