package writeback

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestWriter writes more than three writeback intervals in uneven pieces
// and checks that the file holds exactly what was written, and that the
// Writer started writeback where it should have.
func TestWriter(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := New(f)
	var want bytes.Buffer
	piece := make([]byte, 3<<20+17)
	for i := 0; want.Len() < 3*every+5; i++ {
		for j := range piece {
			piece[j] = byte(i*131 + j)
		}
		n, err := w.Write(piece)
		if err != nil || n != len(piece) {
			t.Fatalf("Write: %d, %v", n, err)
		}
		want.Write(piece)
		if w.off != int64(want.Len()) {
			t.Fatalf("offset %d after %d bytes", w.off, want.Len())
		}
		if w.off-w.begun >= every {
			t.Fatalf("%d bytes since the last writeback start (at %d), past the interval", w.off-w.begun, w.begun)
		}
	}
	if w.begun <= 2*every {
		t.Errorf("last writeback started at %d of %d bytes: fewer starts than intervals", w.begun, w.off)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("the file holds %d bytes that differ from the %d written", len(got), want.Len())
	}
}
