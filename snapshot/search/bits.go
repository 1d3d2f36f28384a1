package search

import (
	"encoding/binary"
	"math/bits"
)

// maxBitsMin bounds the shifts scanRuns ANDs together (each must stay
// below 64).
const maxBitsMin = 32

// printableBits sets bit i%64 of word i/64 of dst when b[i] is printable
// (bits past len(b) are 0). It classifies eight bytes at a time: for a byte
// c, with its high bit forced on, (c|0x80)-0x20 keeps the high bit exactly
// when c&0x7f >= 0x20, and (c&0x7f)+1 sets it exactly when c&0x7f is 0x7f;
// no lane borrows from or carries into its neighbour.
func printableBits(dst []uint64, b []byte) []uint64 {
	const ones, highs, low7 = 0x0101010101010101, 0x8080808080808080, 0x7f7f7f7f7f7f7f7f
	dst = dst[:0]
	for w := 0; w < len(b); w += 64 {
		blk := b[w:min(w+64, len(b))]
		var m uint64
		if len(blk) == 64 {
			for k := 0; k < 64; k += 8 {
				x := binary.LittleEndian.Uint64(blk[k:])
				lo := x & low7
				ge20 := (lo | highs) - 0x20*ones
				is7f := lo + ones
				tab := x ^ 0x09*ones
				notTab := ((tab & low7) + low7) | tab
				p := (ge20&^is7f&^x | ^notTab) & highs
				m |= ((p >> 7) * 0x0102040810204080) >> 56 << k
			}
		} else {
			for k, c := range blk {
				if printable[c] {
					m |= 1 << k
				}
			}
		}
		dst = append(dst, m)
	}
	return dst
}

// units is a slice cut into characters of w bytes (1 ASCII, 2 UTF-16LE):
// character k is raw[k*w : (k+1)*w], at address base + k*w.
type units struct {
	raw  []byte
	w    int
	base uint64
}

func (u units) addr(k int) uint64     { return u.base + uint64(k*u.w) }
func (u units) bytes(a, b int) []byte { return u.raw[a*u.w : b*u.w] }

// scanRuns finds the runs of at least minLen printable characters that
// start in [i, lim) of n characters whose bitmap is bm (i just after a
// character that is not printable, or 0). A run that reaches the end is
// opened: it may go on in the next slice.
//
// q, the AND of the bitmap shifted by 0 .. m-1 (m = minLen, at most
// maxBitsMin), marks where m printable characters begin; the lowest mark
// of a run is its start, so each qualifying run costs a few word
// operations, however many short runs lie around it. Runs of m to minLen-1
// characters are found too and dropped when recorded.
func (l *lane) scanRuns(u units, bm []uint64, n, i, lim int) {
	m := min(l.minLen, maxBitsMin)
	for i < lim {
		w := i / 64
		q := runStarts(bm, w, m) &^ (1<<(i%64) - 1)
		if q == 0 {
			if i = (w + 1) * 64; i >= n {
				break
			}
			continue
		}
		s := w*64 + bits.TrailingZeros64(q)
		if s >= lim {
			return
		}
		e := nextClear(bm, s, n)
		if e == n {
			l.open(u.addr(s), n-s, u.bytes(s, n))
			return
		}
		l.emitRun(u.addr(s), e-s, u.bytes(s, e))
		i = e + 1
	}
	// A run shorter than m that reaches the end.
	set := func(k int) bool { return bm[k/64]&(1<<(k%64)) != 0 }
	k := n
	for k > 0 && n-k < m && set(k-1) {
		k--
	}
	if k < n && k < lim && (k == 0 || !set(k-1)) {
		l.open(u.addr(k), n-k, u.bytes(k, n))
	}
}

// runStarts returns the bits of word w where minLen set bits begin.
func runStarts(bm []uint64, w, minLen int) uint64 {
	m := bm[w]
	var next uint64
	if w+1 < len(bm) {
		next = bm[w+1]
	}
	q := m
	for s := 1; s < minLen && q != 0; s++ {
		q &= m>>s | next<<(64-s)
	}
	return q
}

// nextClear returns the first index at or after s whose bit is clear
// (n when all are set up to n).
func nextClear(bm []uint64, s, n int) int {
	if s >= n {
		return n
	}
	w := s / 64
	x := ^bm[w] >> (s % 64)
	if x != 0 {
		return min(n, s+bits.TrailingZeros64(x))
	}
	for w++; w < len(bm); w++ {
		if x := ^bm[w]; x != 0 {
			return min(n, w*64+bits.TrailingZeros64(x))
		}
	}
	return n
}

// wideBits sets bit k of the bitmap when character k of u (bytes 2k and
// 2k+1) is a printable byte followed by a zero byte, for n characters. The
// word test is that of printableBits, with a zero test beside it: for a
// byte c, ((c&0x7f)+0x7f)|c keeps the high bit clear exactly when c is 0.
func wideBits(dst []uint64, u []byte, n int) []uint64 {
	const ones, highs, low7 = 0x0101010101010101, 0x8080808080808080, 0x7f7f7f7f7f7f7f7f
	const evens = 0x0080008000800080 // the high bits of bytes 0, 2, 4, 6
	dst = dst[:0]
	for k0 := 0; k0 < n; k0 += 64 {
		var m uint64
		if k0+64 <= n {
			blk := u[2*k0 : 2*k0+128]
			for j := 0; j < 128; j += 8 {
				x := binary.LittleEndian.Uint64(blk[j:])
				lo := x & low7
				p := ((lo|highs)-0x20*ones)&^(lo+ones)&^x | ^((((x ^ 0x09*ones) & low7) + low7) | (x ^ 0x09*ones))
				zero := ^((lo + low7) | x) & highs
				ok := p & (zero >> 8) & evens
				// Gather the bits at 7, 23, 39, 55 into bits 60..63.
				m |= ((ok >> 7) * (1<<60 | 1<<45 | 1<<30 | 1<<15)) >> 60 << (j / 2)
			}
		} else {
			for k := k0; k < n; k++ {
				if printable[u[2*k]] && u[2*k+1] == 0 {
					m |= 1 << (k - k0)
				}
			}
		}
		dst = append(dst, m)
	}
	return dst
}
