package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/procsnap/procsnap/snapshot/capture"
)

// rotator writes one CPU profile per phase: to starts the next one. The
// switches run on a goroutine of their own, so the capture's progress
// callback never waits for a profile to be written.
type rotator struct {
	next chan capture.Phase
	done chan struct{}
}

func newRotator(dir string, run int) *rotator {
	r := &rotator{next: make(chan capture.Phase, 16), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		var f *os.File
		for name := range r.next {
			if name == capture.PhaseWriting { // just after the thaw: what the capture holds
				writeHeap(filepath.Join(dir, fmt.Sprintf("heap-%d.pprof", run)))
			}
			if f != nil {
				pprof.StopCPUProfile()
				f.Close()
			}
			var err error
			if f, err = os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", name, run))); err != nil {
				fmt.Fprintln(os.Stderr, "psprofile:", err)
				continue
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintln(os.Stderr, "psprofile:", err)
			}
		}
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
		}
	}()
	return r
}

// phaseFsync is psprofile's own last phase: the fsync after Run returned.
const phaseFsync capture.Phase = "fsync"

func (r *rotator) to(name capture.Phase) { r.next <- name }

func (r *rotator) stop() {
	close(r.next)
	<-r.done
}

// writeHeap writes a heap profile (as of the last garbage collection).
func writeHeap(path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "psprofile:", err)
	}
}
