package main

import (
	"fmt"
	"time"

	"github.com/procsnap/procsnap/format"
)

// fullDecompression opens the archive at path and reads every region
// through format.Reader.ReadRange, one chunk after the other on one
// goroutine: what a tool that needs the whole snapshot pays at least. It
// returns the time taken and the bytes of data and zero pages handed out.
func fullDecompression(path string) (time.Duration, int64, error) {
	start := time.Now()
	r, err := format.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	var n int64
	for _, g := range r.Regions() {
		err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(run format.Run) error {
			n += int64(len(run.Data))
			return nil
		})
		if err != nil {
			return 0, n, fmt.Errorf("%s: region %d: %w", path, g.Desc.Index, err)
		}
	}
	return time.Since(start), n, nil
}

// endFigures is what procsnap says about its own capture in the archive's
// end record.
type endFigures struct {
	frozen                   time.Duration
	precopy, reread, changed uint64
}

// archiveFigures reads the end record of the archive at path, which must
// be complete.
func archiveFigures(path string) (endFigures, error) {
	r, err := format.Open(path)
	if err != nil {
		return endFigures{}, err
	}
	defer r.Close()
	end := r.End()
	switch {
	case end == nil:
		return endFigures{}, fmt.Errorf("%s has no end record", path)
	case !end.Complete:
		return endFigures{}, fmt.Errorf("%s is incomplete: %s", path, end.Reason)
	}
	return endFigures{frozen: time.Duration(end.FrozenNS), precopy: end.PrecopyBytes,
		reread: end.RereadBytes, changed: end.ChangedBytes}, nil
}
