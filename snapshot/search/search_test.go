package search

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

const (
	base0 = 0x7f0000000000
	base1 = 0x7f1000000000
	chunk = 16 << 10
)

// plant is a string written into a test archive at a known address.
type plant struct {
	text  string
	addr  uint64
	wide  bool
	found bool // whether a search must find it
}

// planted builds the archive of the planted-string tests: noise bytes that
// are neither printable nor zero (so that the only strings are the planted
// ones), strings inside a page, across a chunk boundary, across a WriteData
// piece boundary, in UTF-16LE, and strings in pages that are then stored as
// unreadable, not captured or zero, or cut by such a page.
func planted(t testing.TB) (*format.Reader, []plant, []*memRegion) {
	b, plants, regs := plantedBytes(t)
	return formattest.Open(t, b), plants, regs
}

func plantedBytes(t testing.TB) ([]byte, []plant, []*memRegion) {
	rng := rand.New(rand.NewPCG(7, 7))
	g0 := newMemRegion(0, base0, 40, "[heap]")
	g1 := newMemRegion(1, base1, 8, "/usr/lib/libfoo.so")
	g1.desc.Perms = "r--p"
	for _, g := range []*memRegion{g0, g1} {
		for i := range g.data {
			g.data[i] = byte(0x80 + rng.IntN(0x80))
		}
	}
	plants := []plant{
		{text: "PLANT-A-middle", addr: base0 + 5*pg + 100, found: true},
		{text: "PLANT-B-chunk-straddle", addr: base0 + chunk - 7, found: true},
		{text: "PLANT-C-writedata-piece", addr: base0 + 9*pg - 5, found: true},
		{text: "PLANT-W-wide", addr: base0 + 12*pg - 9, wide: true, found: true},
		{text: "PLANT-V-wide-even", addr: base0 + 20*pg + 64, wide: true, found: true},
		{text: "PLANT-X-unreadable", addr: base0 + 14*pg + 10},
		{text: "PLANT-Y-notcaptured", addr: base0 + 15*pg + 10},
		{text: "PLANT-Q-zerofill", addr: base0 + 16*pg + 10},
		{text: "PLANT-U-", addr: base0 + 18*pg - 8, found: true},
		{text: "span", addr: base0 + 19*pg, found: true},
		{text: "PLANT-S-straddles-unreadable", addr: base0 + 22*pg - 10},
		{text: "PLANT-Z-", addr: base0 + 24*pg - 8, found: true},
		{text: "zero", addr: base0 + 25*pg, found: true},
		{text: "PLANT-E-region-end", addr: base0 + 40*pg - 18, found: true},
		{text: "PLANT-R1-second", addr: base1 + 3*pg + 1, found: true},
	}
	for _, p := range plants {
		g := g0
		if p.addr >= base1 {
			g = g1
		}
		b := []byte(p.text)
		if p.wide {
			b = utf16LE(p.text)
		}
		g.put(p.addr, b)
	}
	g0.splits[9] = true // 36 KiB: inside the chunk cell 32-48 KiB
	g0.setState(base0+14*pg, format.PageUnreadable)
	g0.setState(base0+15*pg, format.PageNotCaptured)
	g0.setState(base0+16*pg, format.PageZero)
	g0.setState(base0+18*pg, format.PageUnreadable)
	g0.setState(base0+22*pg, format.PageUnreadable)
	g0.put(base0+24*pg, make([]byte, pg)) // all zero: a zero page inside a chunk
	regs := []*memRegion{g0, g1}
	return archiveBytes(t, chunk, regs), plants, regs
}

// layouts are the ways the planted tests cut the work: one piece per
// region, and pieces of one chunk (every chunk boundary is a piece
// boundary), with one or several workers.
var layouts = []struct {
	name    string
	piece   uint64
	workers int
}{
	{"one-piece", 4 << 20, 1},
	{"chunk-pieces-1", chunk, 1},
	{"chunk-pieces-3", chunk, 3},
	{"two-chunk-pieces", 2 * chunk, 2},
}

func TestPlantedText(t *testing.T) {
	r, plants, _ := planted(t)
	for _, lay := range layouts {
		t.Run(lay.name, func(t *testing.T) {
			withPieceSize(t, lay.piece)
			for _, p := range plants {
				q, err := NewText(p.text, TextOptions{Wide: true})
				if err != nil {
					t.Fatal(err)
				}
				got, _ := collect(t, r, q, Options{Workers: lay.workers})
				var want []string
				if p.found {
					n := len(p.text)
					if p.wide {
						n *= 2
					}
					want = []string{fmt.Sprintf("%#x+%d", p.addr, n)}
				}
				if g := addrs(got); !reflect.DeepEqual(g, want) {
					t.Errorf("%q: got %v, want %v", p.text, g, want)
				}
				for _, m := range got {
					wantEnc := EncodingASCII
					if p.wide {
						wantEnc = EncodingUTF16LE
					}
					if m.Encoding != wantEnc {
						t.Errorf("%q: encoding %s, want %s", p.text, m.Encoding, wantEnc)
					}
				}
			}
		})
	}
}

func TestPlantedSpansNotJoined(t *testing.T) {
	r, _, _ := planted(t)
	for _, text := range []string{"PLANT-U-span", "PLANT-Z-zero", "PLANT-S-straddles-unreadable"} {
		q, _ := NewText(text, TextOptions{})
		if got, _ := collect(t, r, q, Options{}); len(got) != 0 {
			t.Errorf("%q found across a page that is not data: %v", text, addrs(got))
		}
	}
	// The zero page inside a chunk and the zero fill hold zeros, but they
	// are not searched: the noise and the strings hold no four zero bytes.
	q, _ := NewBytes([]byte{0, 0, 0, 0})
	if got, _ := collect(t, r, q, Options{}); len(got) != 0 {
		t.Errorf("zero bytes found in zero pages: %v", addrs(got))
	}
	// The last byte before the zero page and the first of it.
	q, _ = NewBytes([]byte{'Z', '-', 0})
	if got, _ := collect(t, r, q, Options{}); len(got) != 0 {
		t.Errorf("a match runs into a zero page: %v", addrs(got))
	}
}

func TestPlantedStrings(t *testing.T) {
	r, plants, _ := planted(t)
	var want []string
	for _, p := range plants {
		if !p.found {
			continue
		}
		enc := "ascii"
		if p.wide {
			enc = "utf-16le"
		}
		want = append(want, fmt.Sprintf("%#x %s %s", p.addr, enc, p.text))
	}
	// The part of a string that is before an unreadable page is a string.
	want = append(want, fmt.Sprintf("%#x ascii PLANT-S-st", base0+22*pg-10))
	slices.Sort(want) // the addresses have the same number of digits
	for _, lay := range layouts {
		t.Run(lay.name, func(t *testing.T) {
			withPieceSize(t, lay.piece)
			q, err := NewStrings(4, true, 0)
			if err != nil {
				t.Fatal(err)
			}
			ms, _ := collect(t, r, q, Options{Workers: lay.workers})
			var got []string
			for _, m := range ms {
				got = append(got, fmt.Sprintf("%#x %s %s", m.Addr, m.Encoding, m.Text()))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("strings:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestRegionsMaxContext(t *testing.T) {
	r, _, _ := planted(t)
	q, _ := NewRegex(`PLANT-[A-Z0-9]+-`, false, 0)
	all, _ := collect(t, r, q, Options{})
	if len(all) != 8 {
		t.Fatalf("regex: %d matches %v, want 8", len(all), addrs(all))
	}
	first, res := collect(t, r, q, Options{Max: 2})
	if !reflect.DeepEqual(first, all[:2]) || !res.MaxReached {
		t.Errorf("max 2: got %v (max reached %v), want %v", addrs(first), res.MaxReached, addrs(all[:2]))
	}
	one, _ := collect(t, r, q, Options{Regions: []*format.Region{r.Region(1)}})
	if len(one) != 1 || one[0].Addr != base1+3*pg+1 || one[0].Region.Desc.Index != 1 || one[0].Offset() != 3*pg+1 {
		t.Errorf("region 1: %v", addrs(one))
	}
	q, _ = NewText("plant-a-MIDDLE", TextOptions{IgnoreCase: true})
	ms, _ := collect(t, r, q, Options{Context: 4})
	if len(ms) != 1 {
		t.Fatalf("ignore case: %v", addrs(ms))
	}
	m := ms[0]
	if m.ContextAddr != m.Addr-4 || len(m.Context) != 14+8 || !bytes.Equal(m.Context[4:18], []byte("PLANT-A-middle")) {
		t.Errorf("context at %#x: %q", m.ContextAddr, m.Context)
	}
}

func TestStopsOnCallbackErrorAndCancel(t *testing.T) {
	r, _, _ := planted(t)
	q, _ := NewStrings(4, false, 0)
	boom := errors.New("boom")
	n := 0
	_, err := Search(context.Background(), r, q, Options{}, func(Match) error {
		n++
		return boom
	})
	if !errors.Is(err, boom) || n != 1 {
		t.Errorf("callback error: %v after %d calls", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Search(ctx, r, q, Options{}, func(Match) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// A chunk that fails its checks is reported once, treated as unreadable,
// and the rest is searched.
func TestDamagedChunk(t *testing.T) {
	b, _, _ := plantedBytes(t)
	r := formattest.Open(t, b)
	var bad format.Span
	for _, s := range r.Region(0).Spans() {
		if s.IsChunk() && s.Start <= base0+5*pg && base0+5*pg < s.End {
			bad = s
		}
	}
	b[bad.Offset()+100] ^= 0xff // in the chunk header or stored bytes
	r = formattest.Open(t, b)
	for _, lay := range layouts {
		t.Run(lay.name, func(t *testing.T) {
			withPieceSize(t, lay.piece)
			q, _ := NewRegex(`PLANT-[A-Z0-9]+-`, false, 0)
			got, res := collect(t, r, q, Options{Workers: lay.workers})
			for _, m := range got {
				if m.Addr+uint64(m.Len) > bad.Start && m.Addr < bad.End {
					t.Errorf("match %#x+%d in the damaged chunk %#x-%#x", m.Addr, m.Len, bad.Start, bad.End)
				}
			}
			if len(got) != 6 { // not A (inside) nor B (across its start)
				t.Errorf("found %v, want 6 matches", addrs(got))
			}
			if len(res.Problems) != 1 || res.Problems[0].Start != bad.Start || res.Problems[0].End != bad.End || res.Problems[0].Region != 0 {
				t.Errorf("problems %v, want the chunk %#x-%#x", res.Problems, bad.Start, bad.End)
			}
		})
	}
}

// Options.Format renders every match in the workers; the callback gets the
// rendering with the match, in order, across many batches.
func TestFormatHook(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	r := writeArchive(t, 4096, randomRegions(rng))
	withPieceSize(t, 4096)
	q, _ := NewStrings(1, true, 0)
	want, _ := collect(t, r, q, Options{})
	format := func(b []byte, m Match) []byte {
		return fmt.Appendf(b, "%#x %s %q|", m.Addr, m.Encoding, m.Text())
	}
	i := 0
	_, err := Search(context.Background(), r, q, Options{Workers: 3, Format: format}, func(m Match) error {
		if i >= len(want) || string(m.Formatted) != string(format(nil, want[i])) {
			t.Fatalf("match %d: formatted %q", i, m.Formatted)
		}
		i++
		return nil
	})
	if err != nil || i != len(want) || len(want) < 2*outBatch {
		t.Errorf("%d of %d matches: %v", i, len(want), err)
	}
}
