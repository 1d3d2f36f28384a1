package yarascan

import (
	"cmp"
	"fmt"
	"io"
	"slices"
)

// cutDamage replaces each run that holds a damaged span by the pieces of
// it that were read, each copied into a memfd of its own, so that no match
// spans the damage; the damaged spans become the batch's problems.
func cutDamage(b *batch, damage []Problem) error {
	slices.SortFunc(damage, func(x, y Problem) int { return cmp.Compare(x.Start, y.Start) })
	damage = slices.CompactFunc(damage, sameRange) // a span of two runs failed twice
	out := make([]*dataRun, 0, len(b.runs))
	defer func() { b.runs = out }() // every memfd stays in the batch, to be closed with it
	for i, u := range b.runs {
		pieces := readPieces(u, damage)
		if len(pieces) == 1 && pieces[0] == [2]uint64{u.start, u.end} {
			out = append(out, u)
			continue
		}
		for _, p := range pieces {
			nu := &dataRun{src: u.src, r: u.r, g: u.g, start: p[0], end: p[1]}
			out = append(out, nu)
			if err := copyPiece(nu, u); err != nil {
				out = append(out, b.runs[i:]...)
				return err
			}
		}
		u.f.Close()
	}
	b.bytes = 0
	for _, u := range out {
		b.bytes += u.size()
	}
	b.problems = append(b.problems, damage...)
	return nil
}

// readPieces is the run without the damaged spans of its region.
func readPieces(u *dataRun, damage []Problem) [][2]uint64 {
	var out [][2]uint64
	at := u.start
	for _, d := range damage {
		if d.Source != u.src || d.Region != u.g.Desc.Index || d.End <= at || d.Start >= u.end {
			continue
		}
		if d.Start > at {
			out = append(out, [2]uint64{at, d.Start})
		}
		at = max(at, d.End)
	}
	if at < u.end {
		out = append(out, [2]uint64{at, u.end})
	}
	return out
}

// copyPiece gives nu a memfd holding its bytes, copied from u's.
func copyPiece(nu, u *dataRun) error {
	f, err := newMemfd("procsnap-yara-run")
	if err != nil {
		return err
	}
	nu.f = f
	src := io.NewSectionReader(u.f, int64(nu.start-u.start), int64(nu.size()))
	if n, err := io.Copy(f, src); err != nil || uint64(n) != nu.size() {
		return fmt.Errorf("copy %d bytes between memfds: %d copied: %v", nu.size(), n, err)
	}
	return nil
}

// sameRange reports whether two problems are about the same addresses.
func sameRange(x, y Problem) bool {
	return x.Source == y.Source && x.Region == y.Region && x.Start == y.Start && x.End == y.End
}
