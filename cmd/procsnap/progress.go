package main

import (
	"fmt"
	"io"
	"time"

	"github.com/procsnap/procsnap/snapshot/capture"
)

// newProgressBar returns a capture progress callback that redraws one line
// on a terminal, at most ten times a second.
func newProgressBar(w io.Writer) func(capture.Progress) {
	var last time.Time
	return func(p capture.Progress) {
		final := p.Phase == capture.PhaseDone
		if !final && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		line := string(p.Phase)
		if p.Total > 0 {
			line = fmt.Sprintf("%-8s %5.1f%%  %s", p.Phase, 100*float64(p.Done)/float64(p.Total), humanOf(uint64(p.Done), uint64(p.Total)))
		}
		fmt.Fprintf(w, "\r\033[K%s", line)
		if final {
			fmt.Fprint(w, "\r\033[K")
		}
	}
}
