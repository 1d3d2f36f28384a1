package yarascan

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
)

// Archives from a compromised host: bytes flipped, spans zeroed, the
// archive cut. Scan never panics or hangs, and whatever it reports lies in
// runs of data of the archive it was given.
func TestHostileArchives(t *testing.T) {
	needYara(t)
	good := writeArchive(t, 16<<10, markerRegions(t)...)
	rs := loadRules(t, "testdata/markers.yar")
	rng := rand.New(rand.NewPCG(18, 99))
	n := 30
	if testing.Short() {
		n = 10
	}
	for i := range n {
		b := bytes.Clone(good)
		switch i % 3 {
		case 0:
			for range 1 + rng.IntN(8) {
				b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
			}
		case 1:
			at := rng.IntN(len(b))
			clear(b[at:min(len(b), at+rng.IntN(4096))])
		case 2:
			b = b[:rng.IntN(len(b))]
		}
		r, err := format.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			continue // refused when opened: nothing to scan
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err = rs.Scan(ctx, []Source{{Reader: r}}, Options{BatchRuns: 2}, func(h Hit) error {
			for _, s := range h.Strings {
				if s.Addr < h.Start || s.Addr+uint64(s.Len) > h.End || h.Region == nil {
					t.Errorf("mutant %d: %s %s at %#x outside its run %#x-%#x", i, h.Rule.Name, s.ID, s.Addr, h.Start, h.End)
				}
			}
			return nil
		})
		cancel()
		if err != nil {
			t.Errorf("mutant %d: %v", i, err)
		}
	}
}
