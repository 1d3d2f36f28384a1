package procfs

import (
	"os"
	"testing"
)

func TestHasTaskAndTracerLive(t *testing.T) {
	fs, self := Default(), os.Getpid()
	tids, err := fs.Tasks(self)
	if err != nil {
		t.Fatal(err)
	}
	for _, tid := range tids {
		if !fs.HasTask(self, tid) {
			t.Errorf("HasTask(%d, %d) = false for a listed thread", self, tid)
		}
	}
	if fs.HasTask(self, 1) {
		t.Errorf("HasTask(%d, 1) = true: init is no thread of this process", self)
	}
	st, err := fs.Status(self)
	if err != nil {
		t.Fatal(err)
	}
	tracer, err := fs.Tracer(self, self)
	if err != nil {
		t.Fatal(err)
	}
	if (tracer == 0) != (st.TracerPid == 0) {
		t.Errorf("Tracer(%d, %d) = %d, but TracerPid is %d", self, self, tracer, st.TracerPid)
	}
}
