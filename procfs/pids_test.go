package procfs

import (
	"os"
	"slices"
	"testing"
)

func TestPIDsFixtures(t *testing.T) {
	got, err := fixtures.PIDs()
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, pid := range fixturePids(t) {
		want = append(want, pid)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) { // README.md, capture.sh, stat, sys, src are not processes
		t.Errorf("PIDs() = %v, want %v", got, want)
	}
}

func TestPIDsLive(t *testing.T) {
	pids, err := Default().PIDs()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(pids) || !slices.Contains(pids, os.Getpid()) || !slices.Contains(pids, 1) {
		t.Errorf("PIDs() = %d ids, sorted %v; want this process (%d) and 1 among them", len(pids), slices.IsSorted(pids), os.Getpid())
	}
	st, err := Default().Stat(os.Getpid())
	if err != nil || st.KernelThread() {
		t.Errorf("Stat(self): %+v, %v; want a process that is no kernel thread", st, err)
	}
	if st, err := Default().Stat(2); err == nil && st.Comm == "kthreadd" && !st.KernelThread() {
		t.Errorf("Stat(2) is kthreadd but not a kernel thread: flags %#x", st.Flags)
	}
}
