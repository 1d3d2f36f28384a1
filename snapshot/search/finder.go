package search

import (
	"cmp"
	"regexp"
	"slices"
)

// hit is a match inside a buffer: bytes [start, end), found by pattern id.
type hit struct{ start, end, id int }

// finder finds the matches that start at offsets in [from, to) of b, in
// increasing order. Every match lies inside b; b may hold bytes before from
// (look-behind) and after to (room for matches that start before to).
type finder interface {
	find(b []byte, from, to int, dst []hit) []hit
	// candidate reports whether a match could start with byte c.
	candidate(c byte) bool
}

// literalSet finds every occurrence of any of its literals.
type literalSet []*literal

func (ls literalSet) find(b []byte, from, to int, dst []hit) []hit {
	n := len(dst)
	for id, l := range ls {
		dst = l.find(b, from, to, id, dst)
	}
	if len(ls) > 1 {
		slices.SortFunc(dst[n:], func(x, y hit) int {
			return cmp.Or(cmp.Compare(x.start, y.start), cmp.Compare(x.id, y.id))
		})
	}
	return dst
}

func (ls literalSet) candidate(c byte) bool {
	for _, l := range ls {
		if l.first(c) {
			return true
		}
	}
	return false
}

// regexFinder finds leftmost-first, non-overlapping matches of re, each cut
// to at most maxLen bytes. Empty matches are not reported.
type regexFinder struct {
	re     *regexp.Regexp
	maxLen int
}

func (f regexFinder) find(b []byte, from, to int, dst []hit) []hit {
	if from >= to {
		return dst
	}
	// The match that straddles from (begun in an earlier window) is skipped;
	// later ones are the same as a search of the whole run would find once
	// the two searches agree on a match end, which they almost always do at
	// the first match.
	for _, loc := range f.re.FindAllIndex(b, -1) {
		s, e := loc[0], loc[1]
		if s >= to {
			break
		}
		if s < from || e == s {
			continue
		}
		dst = append(dst, hit{start: s, end: min(e, s+f.maxLen)})
	}
	return dst
}

func (f regexFinder) candidate(byte) bool { return true }
