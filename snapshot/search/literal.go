package search

import (
	"bytes"
	"strings"
)

// literal is one fixed pattern. With fold, pat holds the pattern with ASCII
// letters lowered and a match is any text that lowers to it.
//
// The search looks for an anchor byte of the pattern (pat[at], in either
// case when folding: a or b) with IndexByte, which is vectorised, and
// checks the pattern around each one. The anchor is the byte likely to be
// rarest in process memory, so that few candidates need checking.
type literal struct {
	pat  []byte
	fold bool
	enc  Encoding
	at   int
	a, b byte
}

// lower maps ASCII upper-case letters to lower case and every other byte to
// itself.
var lower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

func isLetter(c byte) bool { return lower[c] >= 'a' && lower[c] <= 'z' }

func newLiteral(p []byte, fold bool, enc Encoding) *literal {
	l := &literal{pat: append([]byte(nil), p...), fold: fold, enc: enc}
	if fold {
		for i, c := range l.pat {
			l.pat[i] = lower[c]
		}
	}
	for i, c := range l.pat {
		if l.cost(c) < l.cost(l.pat[l.at]) {
			l.at = i
		}
	}
	l.a, l.b = l.pat[l.at], l.pat[l.at]
	if fold && isLetter(l.a) {
		l.b = l.a - 'a' + 'A'
	}
	return l
}

// cost ranks a byte as an anchor: how common it is in process memory
// (zero bytes and 0xff fill most binary data; then text), doubled for a
// folded letter, which takes two IndexByte scans.
func (l *literal) cost(c byte) int {
	r := 1 // control bytes and bytes above 0x7f other than 0xff
	switch {
	case c == 0:
		r = 10
	case c == 0xff:
		r = 8
	case c == ' ':
		r = 7
	case strings.IndexByte("etaoinsrhl", lower[c]) >= 0 && c >= 'a':
		r = 6
	case c >= 'a' && c <= 'z':
		r = 5
	case c >= '0' && c <= '9':
		r = 4
	case c >= 'A' && c <= 'Z':
		r = 3
	case c > ' ' && c < 0x7f:
		r = 2
	}
	if l.fold && isLetter(c) {
		r *= 2
	}
	return r
}

// first reports whether c can be the first byte of a match.
func (l *literal) first(c byte) bool {
	if l.fold {
		return lower[c] == l.pat[0]
	}
	return c == l.pat[0]
}

// find appends the matches of l in b that start at offsets in [from, to).
func (l *literal) find(b []byte, from, to, id int, dst []hit) []hit {
	n := len(l.pat)
	end := min(len(b), to-1+n)
	if from >= to || end-from < n {
		return dst
	}
	b = b[:end]
	na, nb := -1, -1 // next positions of the anchor's two cases; -1: not searched yet
	for c := from + l.at; c < to+l.at; {
		p := nextByte(b, c, l.a, &na)
		if l.b != l.a {
			p = min(p, nextByte(b, c, l.b, &nb))
		}
		if p >= len(b) || p >= to+l.at {
			break
		}
		if s := p - l.at; s+n <= len(b) && l.equal(b[s:s+n]) {
			dst = append(dst, hit{start: s, end: s + n, id: id})
		}
		c = p + 1
	}
	return dst
}

func (l *literal) equal(s []byte) bool {
	if !l.fold {
		return bytes.Equal(s, l.pat)
	}
	for i, c := range s {
		if lower[c] != l.pat[i] {
			return false
		}
	}
	return true
}

// nextByte returns the position of the first x in b at or after c
// (len(b) when there is none), reusing the cached answer in *next while it
// is still ahead of c.
func nextByte(b []byte, c int, x byte, next *int) int {
	if *next >= c {
		return *next
	}
	j := bytes.IndexByte(b[c:], x)
	if j < 0 {
		*next = len(b)
	} else {
		*next = c + j
	}
	return *next
}
