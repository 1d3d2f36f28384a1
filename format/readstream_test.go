package format

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"testing/iotest"
)

// TestReadStream: an archive read from a stream describes it as the file
// does, whole or cut anywhere; its chunk data needs random access.
func TestReadStream(t *testing.T) {
	full, _ := sampleArchive(t)
	offs, _ := records(t, full)
	cuts := []int64{int64(len(full))}
	for _, o := range offs[2:] {
		cuts = append(cuts, o, o+7)
	}
	for _, cut := range cuts {
		b := full[:cut]
		s, err := ReadStream(iotest.HalfReader(bytes.NewReader(b)))
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		f := open(t, b)
		if s.Complete() != f.Complete() || !reflect.DeepEqual(s.Meta(), f.Meta()) || !bytes.Equal(s.Maps(), f.Maps()) ||
			!reflect.DeepEqual(s.Threads(), f.Threads()) || !reflect.DeepEqual(s.End(), f.End()) || s.Size() != f.Size() ||
			s.HasTrailer() != f.HasTrailer() || len(s.Problems()) != len(f.Problems()) || (s.Recovered() == "") != (f.Recovered() == "") {
			t.Errorf("cut at %d: stream complete %v recovered %q problems %v; file complete %v recovered %q problems %v",
				cut, s.Complete(), s.Recovered(), s.Problems(), f.Complete(), f.Recovered(), f.Problems())
		}
		sameRegions(t, cut, s, f)
	}
}

func sameRegions(t *testing.T, cut int64, s, f *Reader) {
	t.Helper()
	if len(s.Regions()) != len(f.Regions()) {
		t.Fatalf("cut at %d: %d regions from the stream, %d from the file", cut, len(s.Regions()), len(f.Regions()))
	}
	for i, g := range s.Regions() {
		fg := f.Regions()[i]
		if g.Desc != fg.Desc || !reflect.DeepEqual(g.Footer, fg.Footer) || len(g.Spans()) != len(fg.Spans()) {
			t.Errorf("cut at %d: region %d differs", cut, i)
			continue
		}
		for k, sp := range g.Spans() {
			if !sp.IsChunk() {
				continue
			}
			info, err := s.ChunkInfo(g, sp)
			want, _ := f.ChunkInfo(fg, fg.Spans()[k])
			switch {
			case g.Footer == nil && (err != nil || !reflect.DeepEqual(info, want)):
				t.Errorf("cut at %d: region %d without a footer: ChunkInfo %v", cut, i, err)
			case g.Footer != nil && !errors.Is(err, ErrNeedsRandomAccess):
				t.Errorf("cut at %d: region %d: ChunkInfo of a footed region gave %v, want ErrNeedsRandomAccess", cut, i, err)
			}
			if err := s.ReadRange(g, sp.Start, sp.End, func(Run) error { return nil }); !errors.Is(err, ErrNeedsRandomAccess) {
				t.Errorf("cut at %d: ReadRange gave %v, want ErrNeedsRandomAccess", cut, err)
			}
		}
	}
}
