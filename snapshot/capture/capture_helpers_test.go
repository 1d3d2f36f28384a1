package capture

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
)

// The capture tests run real targets under real ptrace: C programs from
// testdata/capture, started through internal/proctest.

func TestMain(m *testing.M) { proctest.Main(m) }

// captureFile captures pid into a file in a temporary directory and opens it.
func captureFile(tb testing.TB, pid int, opts Options) (*format.Reader, *Result, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "capture.psnap")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, pid, f, opts)
	if cerr := f.Close(); cerr != nil {
		tb.Fatal(cerr)
	}
	if err != nil {
		tb.Fatalf("Run(%d): %v", pid, err)
	}
	r, err := format.Open(path)
	if err != nil {
		tb.Fatalf("open the archive: %v", err)
	}
	tb.Cleanup(func() { r.Close() })
	if !res.Complete || !r.Complete() {
		tb.Errorf("capture incomplete: Result.Complete %v (%q), Reader.Complete %v", res.Complete, res.Reason, r.Complete())
	}
	if p := r.Problems(); len(p) > 0 || r.Recovered() != "" {
		tb.Errorf("archive problems %v, recovered %q", p, r.Recovered())
	}
	if v := r.Verify(context.Background()); !v.OK {
		tb.Errorf("verify: %+v", v.Problems)
	}
	return r, res, path
}

// archiveBytes reads [addr, addr+n) from the archive, across adjacent
// regions: data and zero pages only; anything else fails the test.
func archiveBytes(tb testing.TB, r *format.Reader, addr uint64, n int) []byte {
	tb.Helper()
	out := make([]byte, 0, n)
	for end := addr + uint64(n); addr < end; {
		g := r.Find(addr)
		if g == nil {
			tb.Fatalf("no region holds %#x", addr)
		}
		hi := min(end, g.Desc.End)
		err := r.ReadRange(g, addr, hi, func(run format.Run) error {
			switch {
			case run.Data != nil:
				out = append(out, run.Data...)
			case run.State == format.PageZero:
				out = append(out, make([]byte, run.End-run.Start)...)
			default:
				return fmt.Errorf("%#x-%#x is %v (errno %d)", run.Start, run.End, run.State, run.Errno)
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("read %#x-%#x from region %d (%s): %v", addr, hi, g.Desc.Index, g.Desc.MapsLine, err)
		}
		addr = hi
	}
	return out
}
