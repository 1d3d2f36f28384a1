package capture

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
)

// TestTogether captures two processes that share a page, one of them
// writing it without pause, with Together: both archives must hold the
// same page (one instant for both), each complete, and both processes run
// on. Captured one after the other, the page differs: the writer ran in
// between.
func TestTogether(t *testing.T) {
	p := proctest.StartC(t, "capture/shared.c")
	var pids []int
	var shared uint64
	for _, line := range p.Lines {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "pid":
			n, _ := strconv.Atoi(f[1])
			pids = append(pids, n)
		case len(f) == 2 && f[0] == "shared":
			shared, _ = strconv.ParseUint(f[1], 0, 64)
		}
	}
	if len(pids) != 2 || shared == 0 {
		t.Fatalf("shared target said %q", p.Lines)
	}
	dir := t.TempDir()
	var targets []Target
	for _, pid := range pids {
		f, err := os.Create(filepath.Join(dir, strconv.Itoa(pid)+".psnap"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		targets = append(targets, Target{PID: pid, W: f})
	}
	var pages [][]byte
	for i, o := range Together(context.Background(), targets, Options{}) {
		if o.Err != nil || o.Result == nil || !o.Result.Complete {
			t.Fatalf("PID %d: %+v, %v", pids[i], o.Result, o.Err)
		}
		r, err := format.Open(targets[i].W.(*os.File).Name())
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if v := r.Verify(context.Background()); !v.OK {
			t.Errorf("PID %d: verify %+v", pids[i], v.Problems)
		}
		pages = append(pages, archiveBytes(t, r, shared, 8))
	}
	if !bytes.Equal(pages[0], pages[1]) {
		t.Errorf("the shared counter is %x in one archive and %x in the other: not one instant", pages[0], pages[1])
	}
	for _, pid := range pids {
		proctest.CheckNotStopped(t, pid)
	}
}
