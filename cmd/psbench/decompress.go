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

// archiveFigures reads what procsnap says about its own capture: the
// frozen time of the end record and, when recorded, its copy buffer size.
func archiveFigures(path string) (frozen time.Duration, buffer int64, err error) {
	r, err := format.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	end := r.End()
	if end == nil {
		return 0, 0, fmt.Errorf("%s has no end record", path)
	}
	if v, ok := end.Extra["buffer_bytes"]; ok {
		fmt.Sscan(v, &buffer) //nolint:errcheck // a bad value leaves 0: estimated instead
	}
	return time.Duration(end.FrozenNS), buffer, nil
}
