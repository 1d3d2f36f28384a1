package main

// What an archive left by a faulted capture holds, as format.Open sees it.

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// faultArchive is what an archive file holds, as format.Open sees it.
type faultArchive struct {
	exists     bool
	size       int64
	mode       os.FileMode
	openErr    error
	complete   bool
	trailer    bool
	recovered  string
	reason     string
	regions    int
	footed     int
	dataBytes  uint64
	problems   []format.Problem // from Verify
	tailIssues int              // problems that only say the archive is cut off at its end
}

func (a faultArchive) String() string {
	if !a.exists {
		return "no archive file"
	}
	if a.openErr != nil {
		return fmt.Sprintf("%d bytes, open: %v", a.size, a.openErr)
	}
	return fmt.Sprintf("%d bytes, complete=%v trailer=%v reason=%q recovered=%q regions=%d (footed %d), %d verify problems",
		a.size, a.complete, a.trailer, a.reason, a.recovered, a.regions, a.footed, len(a.problems))
}

// faultInspect opens path, lists its regions, reads every span of every
// region through ReadRange, and verifies it.
func faultInspect(t *testing.T, path string) faultArchive {
	t.Helper()
	var a faultArchive
	st, err := os.Stat(path)
	if err != nil {
		return a
	}
	a.exists, a.size, a.mode = true, st.Size(), st.Mode().Perm()
	r, err := format.Open(path)
	if err != nil {
		a.openErr = err
		return a
	}
	defer r.Close()
	a.complete, a.trailer, a.recovered = r.Complete(), r.HasTrailer(), r.Recovered()
	if e := r.End(); e != nil {
		a.reason = e.Reason
	}
	var lastRecord int64
	for _, g := range r.Regions() {
		a.regions++
		if g.Footer != nil {
			a.footed++
		}
		for _, s := range g.Spans() {
			lastRecord = max(lastRecord, s.Offset())
		}
		err := r.ReadRange(g, g.Desc.Start, g.Desc.End, func(run format.Run) error {
			if run.State == format.PageData {
				a.dataBytes += uint64(len(run.Data))
			}
			return nil
		})
		if err != nil && g.Footer != nil {
			a.problems = append(a.problems, format.Problem{Region: g.Desc.Index, Problem: "ReadRange: " + err.Error()})
		}
	}
	v := r.Verify(context.Background())
	for _, p := range v.Problems {
		if p.Region < 0 && p.Offset > lastRecord {
			a.tailIssues++
			continue
		}
		a.problems = append(a.problems, p)
	}
	return a
}

// mustCaptured fails t unless a is an archive that opens and whose intact
// part verifies: every region the archive reached lists, and every problem
// Verify reports is the cut-off end.
func (a faultArchive) mustBeReadable(t *testing.T, what string) {
	t.Helper()
	switch {
	case !a.exists:
		t.Errorf("%s: no archive file", what)
	case a.openErr != nil:
		t.Errorf("%s: archive of %d bytes does not open: %v", what, a.size, a.openErr)
	case len(a.problems) > 0:
		t.Errorf("%s: the captured part does not verify: %s; first problems: %v", what, a, faultFirst(a.problems))
	}
}

func faultFirst(ps []format.Problem) []format.Problem {
	return ps[:min(len(ps), 3)]
}
