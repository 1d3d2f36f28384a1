package search

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The word-at-a-time bitmaps agree with the byte tables for every byte
// value at every position.
func TestBitmaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 200 {
		b := make([]byte, 1+rng.IntN(300))
		for i := range b {
			switch rng.IntN(4) {
			case 0:
				b[i] = 0
			case 1:
				b[i] = byte(0x20 + rng.IntN(0x60))
			default:
				b[i] = byte(rng.Uint32())
			}
		}
		if iter < 256 && len(b) > 0 {
			b[rng.IntN(len(b))] = byte(iter) // every value somewhere
		}
		bm := printableBits(nil, b)
		for i, c := range b {
			if got := bm[i/64]&(1<<(i%64)) != 0; got != printable[c] {
				t.Fatalf("printableBits: byte %#x at %d: %v", c, i, got)
			}
		}
		n := len(b) / 2
		wb := wideBits(nil, b, n)
		for k := range n {
			want := printable[b[2*k]] && b[2*k+1] == 0
			if got := wb[k/64]&(1<<(k%64)) != 0; got != want {
				t.Fatalf("wideBits: %x at %d: %v", b[2*k:2*k+2], k, got)
			}
		}
	}
}

// Lanes fed a stream in slices of any size find exactly the runs of a
// whole-stream scan, for short and long minimum lengths.
func TestLanesAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for iter := range 300 {
		data := make([]byte, 2*(1+rng.IntN(3000)))
		for i := 0; i < len(data); {
			n := min(len(data)-i, 1+rng.IntN(120))
			switch rng.IntN(4) {
			case 0: // text
				for k := range n {
					data[i+k] = byte(0x20 + rng.IntN(0x5f))
				}
			case 1: // UTF-16LE text at either parity
				for k := 1; k < n; k += 2 {
					data[i+k-1], data[i+k] = byte('a'+rng.IntN(26)), 0
				}
			case 2:
				for k := range n {
					data[i+k] = byte(rng.Uint32())
				}
			}
			i += n
		}
		minLen := []int{1, 2, 4, 7, 31, 32, 33, 40}[rng.IntN(8)]
		maxLen := []int{5, 64, 4096}[rng.IntN(3)]
		want := refStrings([]memSeg{{addr: 0x1000, b: data}}, minLen, maxLen, true)
		s := &stringScan{w: &worker{}, wide: true}
		q := &Query{minLen: minLen, maxLen: maxLen, wide: true}
		s.lanes = newStringScan(s.w, q).lanes
		for _, l := range s.lanes {
			l.reset(0, 1<<62)
		}
		var got []string
		for at := 0; at < len(data); {
			n := min(len(data)-at, 1+rng.IntN(700))
			for _, l := range s.lanes {
				l.feed(data[at:at+n], 0x1000+uint64(at))
			}
			at += n
		}
		for _, l := range s.lanes {
			l.end()
			for _, r := range l.done {
				got = append(got, fmt.Sprintf("%#x %d %s %q", r.start, r.n*l.unit(), l.enc, r.raw))
			}
		}
		var w []string
		for _, r := range want {
			enc, raw := EncodingASCII, []byte(r.text)
			if r.id == 1 {
				enc, raw = EncodingUTF16LE, utf16LE(r.text)
			}
			w = append(w, fmt.Sprintf("%#x %d %s %q", r.addr, r.n, enc, raw))
		}
		if !sameSet(got, w) {
			t.Fatalf("iter %d (min %d, max %d):\n got %q\nwant %q", iter, minLen, maxLen, got, w)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		if m[x]--; m[x] < 0 {
			return false
		}
	}
	return true
}
