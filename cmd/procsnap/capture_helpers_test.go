package main

// Helpers of the capture verb's tests: run it, open and compare archives.
// The live target is internal/proctest's Threads (testdata/capture/threads.c).

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// captRun runs the capture verb in this process.
func captRun(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"capture"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// captOpen opens an archive; it is closed when t ends.
func captOpen(t *testing.T, path string) *format.Reader {
	t.Helper()
	r, err := format.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// captSame checks that two archives hold the same regions, states and bytes.
func captSame(t *testing.T, a, b *format.Reader) {
	t.Helper()
	if !bytes.Equal(a.Maps(), b.Maps()) {
		t.Error("the maps differ")
	}
	ra, rb := a.Regions(), b.Regions()
	if len(ra) != len(rb) {
		t.Fatalf("%d regions and %d regions", len(ra), len(rb))
	}
	for i := range ra {
		if ra[i].Desc != rb[i].Desc {
			t.Errorf("region %d: descriptors differ:\n%+v\n%+v", i, ra[i].Desc, rb[i].Desc)
			continue
		}
		fa, fb := ra[i].Footer, rb[i].Footer
		if fa == nil || fb == nil || fa.State != fb.State || fa.Hash != fb.Hash || fa.DataBytes != fb.DataBytes || fa.ZeroBytes != fb.ZeroBytes {
			t.Errorf("region %d (%s): footers differ:\n%+v\n%+v", i, ra[i].Desc.MapsLine, fa, fb)
			continue
		}
		if !bytes.Equal(captBytes(t, a, ra[i]), captBytes(t, b, rb[i])) {
			t.Errorf("region %d (%s): bytes differ", i, ra[i].Desc.MapsLine)
		}
	}
}

// captBytes reads a region: data and zero pages as their bytes, anything
// else as its state and errno.
func captBytes(t *testing.T, r *format.Reader, g *format.Region) []byte {
	t.Helper()
	var out bytes.Buffer
	err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(run format.Run) error {
		switch {
		case run.Data != nil:
			out.Write(run.Data)
		case run.State == format.PageZero:
			out.Write(make([]byte, run.End-run.Start))
		default:
			fmt.Fprintf(&out, "[%#x-%#x %v %d]", run.Start, run.End, run.State, run.Errno)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("region %d: %v", g.Desc.Index, err)
	}
	return out.Bytes()
}

// captSHA256Line returns the digest of the summary's last line, which
// names the archive as sha256sum does.
func captSHA256Line(t *testing.T, stderr, name string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	sum, file, ok := strings.Cut(last, "  ")
	if !ok || file != name || len(sum) != 64 {
		t.Fatalf("last line of the summary is %q, want \"<sha256>  %s\"", last, name)
	}
	return sum
}

// sha256sum runs sha256sum on path.
func sha256sum(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("sha256sum", path).Output()
	if err != nil {
		t.Fatalf("sha256sum %s: %v", path, err)
	}
	sum, _, _ := strings.Cut(string(out), " ")
	return sum
}
