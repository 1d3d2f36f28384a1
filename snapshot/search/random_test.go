package search

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// randomRegions builds regions whose pages mix noise, random bytes, text
// and UTF-16LE text holding "needle" (also across page edges), zero pages
// and fills, written in WriteData calls of random lengths.
func randomRegions(rng *rand.Rand) []*memRegion {
	var regs []*memRegion
	addr := uint64(0x7f0000000000)
	for i := range 1 + rng.IntN(3) {
		g := newMemRegion(i, addr, 1+rng.IntN(60), fmt.Sprintf("/lib/r%d.so", i))
		for p := range g.state {
			fillPage(rng, g.data[p*pg:(p+1)*pg])
			switch k := rng.IntN(20); {
			case k == 0:
				g.state[p] = format.PageZero
			case k == 1:
				g.state[p] = format.PageUnreadable
			case k == 2:
				g.state[p] = format.PageNotCaptured
			case k < 6:
				g.splits[p] = true
			}
		}
		for range rng.IntN(8) { // needles across page edges
			at := pg*(1+rng.IntN(len(g.state))) - rng.IntN(12)
			copy(g.data[at:], fmt.Sprintf("NeeDle%d", rng.IntN(1000)))
		}
		regs = append(regs, g)
		addr = g.desc.End + uint64(rng.IntN(2))*pg
	}
	return regs
}

func fillPage(rng *rand.Rand, page []byte) {
	switch rng.IntN(6) {
	case 0: // zero: stored as a zero page inside a chunk
	case 1:
		for i := range page {
			page[i] = byte(0x80 + rng.IntN(0x80))
		}
	case 2:
		for i := range page {
			page[i] = byte(rng.Uint32())
		}
	case 3, 4:
		var t []byte
		for len(t) < len(page) {
			switch rng.IntN(5) {
			case 0:
				t = fmt.Appendf(t, "needle%d ", rng.IntN(100))
			case 1:
				t = append(t, utf16LE(fmt.Sprintf("wide needle %d", rng.IntN(10)))...)
			case 2:
				t = append(t, 0, byte(rng.IntN(256)), '\n')
			default:
				t = append(t, "some text\tfor strings "...)
			}
		}
		copy(page, t)
	case 5: // sparse: zeros with a word at either edge
		copy(page, "edge")
		copy(page[len(page)-6:], "needle")
	}
}

func TestRandomAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	chunks := []int{4096, 8192, 16384, 65536}
	for iter := range 40 {
		regs := randomRegions(rng)
		ck := chunks[rng.IntN(len(chunks))]
		r := writeArchive(t, ck, regs)
		var segs []memSeg
		for _, g := range regs {
			segs = append(segs, g.segments()...)
		}
		withPieceSize(t, []uint64{1, uint64(ck), 3 * uint64(ck), 4 << 20}[rng.IntN(4)])
		opts := Options{Workers: 1 + rng.IntN(3), Context: rng.IntN(20)}
		name := fmt.Sprintf("iter %d (chunk %d, piece %d, workers %d, context %d)", iter, ck, minPieceSize, opts.Workers, opts.Context)
		checkLiteral(t, name, r, segs, opts, "needle", false)
		checkLiteral(t, name, r, segs, opts, "NEEDLE", true)
		checkHex(t, name, r, segs, opts, []byte{0, 'n'})
		checkRegex(t, name, r, segs, opts, `needle[0-9]+`)
		sopts := opts
		sopts.Context = 0
		checkStrings(t, name, r, segs, sopts, 1+rng.IntN(6), rng.IntN(2) == 0, []int{5, DefaultMaxMatchLen}[rng.IntN(2)])
	}
}

func checkLiteral(t *testing.T, name string, r *format.Reader, segs []memSeg, opts Options, text string, fold bool) {
	t.Helper()
	q, err := NewText(text, TextOptions{Wide: true, IgnoreCase: fold})
	if err != nil {
		t.Fatal(err)
	}
	want := refLiteral(segs, [][]byte{[]byte(text), utf16LE(text)}, fold, opts.Context)
	got, _ := collect(t, r, q, opts)
	compareMatches(t, fmt.Sprintf("%s: %q fold %v", name, text, fold), got, want, true)
}

func checkHex(t *testing.T, name string, r *format.Reader, segs []memSeg, opts Options, b []byte) {
	t.Helper()
	q, err := NewBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := collect(t, r, q, opts)
	compareMatches(t, fmt.Sprintf("%s: hex %x", name, b), got, refLiteral(segs, [][]byte{b}, false, opts.Context), true)
}

func checkRegex(t *testing.T, name string, r *format.Reader, segs []memSeg, opts Options, expr string) {
	t.Helper()
	q, err := NewRegex(expr, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := collect(t, r, q, opts)
	compareMatches(t, fmt.Sprintf("%s: regex %s", name, expr), got, refRegex(segs, regexp.MustCompile(expr), opts.Context), false)
}

func compareMatches(t *testing.T, name string, got []Match, want []refMatch, ids bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d matches, want %d\n got %v", name, len(got), len(want), addrs(got))
		return
	}
	for i, m := range got {
		w := want[i]
		wantEnc := m.Encoding
		if ids {
			wantEnc = []Encoding{EncodingASCII, EncodingUTF16LE}[w.id]
			if m.Encoding == EncodingNone {
				wantEnc = EncodingNone
			}
		}
		if m.Addr != w.addr || m.Len != w.n || m.Encoding != wantEnc || m.ContextAddr != w.cadr || !bytes.Equal(m.Context, w.ctx) {
			t.Errorf("%s: match %d: got %#x+%d %s context %#x %q, want %#x+%d context %#x %q",
				name, i, m.Addr, m.Len, m.Encoding, m.ContextAddr, m.Context, w.addr, w.n, w.cadr, w.ctx)
			return
		}
	}
}

func checkStrings(t *testing.T, name string, r *format.Reader, segs []memSeg, opts Options, minLen int, wide bool, maxLen int) {
	t.Helper()
	q, err := NewStrings(minLen, wide, maxLen)
	if err != nil {
		t.Fatal(err)
	}
	name = fmt.Sprintf("%s: strings min %d wide %v maxlen %d", name, minLen, wide, maxLen)
	want := refStrings(segs, minLen, maxLen, wide)
	got, _ := collect(t, r, q, opts)
	if len(got) != len(want) {
		t.Errorf("%s: %d strings, want %d", name, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		m, w := got[i], want[i]
		unit := 1
		if m.Encoding == EncodingUTF16LE {
			unit = 2
		}
		if m.Addr != w.addr || m.Len != w.n || (unit == 2) != (w.id == 1) || m.Text() != w.text || m.Truncated != (w.n/unit > len(w.text)) {
			t.Errorf("%s: string %d: got %#x+%d %s %q, want %#x+%d id %d %q", name, i, m.Addr, m.Len, m.Encoding, m.Text(), w.addr, w.n, w.id, w.text)
			return
		}
	}
}
