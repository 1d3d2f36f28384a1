package search

import (
	"bytes"
	"cmp"
	"regexp"
	"slices"
)

// refMatch is what a plain, whole-memory search finds: the reference the
// piecewise search is checked against.
type refMatch struct {
	addr uint64
	n    int
	id   int
	text string
	ctx  []byte
	cadr uint64
}

func lowerBytes(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = lower[c]
	}
	return out
}

// refLiteral finds every occurrence of every pattern in every segment,
// with ctxN bytes of context clipped to the segment.
func refLiteral(segs []memSeg, pats [][]byte, fold bool, ctxN int) []refMatch {
	var out []refMatch
	for _, s := range segs {
		hay := s.b
		if fold {
			hay = lowerBytes(hay)
		}
		for id, p := range pats {
			if fold {
				p = lowerBytes(p)
			}
			for i := 0; i+len(p) <= len(hay); i++ {
				if bytes.Equal(hay[i:i+len(p)], p) {
					out = append(out, refWithContext(s, i, i+len(p), id, ctxN))
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b refMatch) int { return cmp.Or(cmp.Compare(a.addr, b.addr), cmp.Compare(a.id, b.id)) })
	return out
}

func refWithContext(s memSeg, i, j, id, ctxN int) refMatch {
	a, b := max(0, i-ctxN), min(len(s.b), j+ctxN)
	return refMatch{addr: s.addr + uint64(i), n: j - i, id: id, ctx: s.b[a:b], cadr: s.addr + uint64(a)}
}

// refRegex finds leftmost-first, non-overlapping matches per segment.
func refRegex(segs []memSeg, re *regexp.Regexp, ctxN int) []refMatch {
	var out []refMatch
	for _, s := range segs {
		for _, loc := range re.FindAllIndex(s.b, -1) {
			if loc[1] > loc[0] {
				out = append(out, refWithContext(s, loc[0], loc[1], 0, ctxN))
			}
		}
	}
	return out
}

// refStrings finds maximal printable runs of at least minLen characters:
// ASCII (id 0) and, with wide, UTF-16LE at each parity (id 1).
func refStrings(segs []memSeg, minLen, maxLen int, wide bool) []refMatch {
	var out []refMatch
	for _, s := range segs {
		b := s.b
		for i := 0; i < len(b); {
			j := i
			for j < len(b) && printable[b[j]] {
				j++
			}
			if j-i >= minLen {
				out = append(out, refMatch{addr: s.addr + uint64(i), n: j - i, text: string(b[i:min(j, i+maxLen)])})
			}
			i = j + 1
		}
		if !wide {
			continue
		}
		ok := func(i int) bool { return i+1 < len(b) && printable[b[i]] && b[i+1] == 0 }
		for phase := 0; phase < 2; phase++ {
			for i := phase; i < len(b); {
				j := i
				var text []byte
				for ok(j) {
					if len(text) < maxLen {
						text = append(text, b[j])
					}
					j += 2
				}
				if n := (j - i) / 2; n >= minLen {
					out = append(out, refMatch{addr: s.addr + uint64(i), n: 2 * n, id: 1, text: string(text)})
				}
				i = j + 2
			}
		}
	}
	slices.SortStableFunc(out, func(a, b refMatch) int { return cmp.Or(cmp.Compare(a.addr, b.addr), cmp.Compare(a.id, b.id)) })
	return out
}
