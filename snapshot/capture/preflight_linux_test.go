package capture

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/procfs"
)

// TestPreflightRejects: the checks of the pid that nothing after the
// preflight repeats (ptrace.Freeze relies on them).
func TestPreflightRejects(t *testing.T) {
	pfs := procfs.Default()
	self := os.Getpid()
	tids, err := pfs.Tasks(self)
	if err != nil {
		t.Fatal(err)
	}
	thread := tids[len(tids)-1]
	if thread == self {
		t.Fatalf("this test process has one thread (%v): no thread to refuse", tids)
	}
	tests := []struct {
		name string
		pid  int
		want string
	}{
		{"zero", 0, "PID 0 is not a process id"},
		{"negative", -1, "PID -1 is not a process id"},
		{"this process", self, "is procsnap itself"},
		{"a thread", thread, fmt.Sprintf("PID %d is a thread of process %d", thread, self)},
		{"no such process", 1<<22 + 1, "no process with PID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := preflight(pfs, tt.pid)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("preflight(%d): %v, want %q", tt.pid, err, tt.want)
			}
		})
	}
}
