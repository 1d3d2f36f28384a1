package procfs_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
	"github.com/procsnap/procsnap/procfs"
)

// TestLiveMapsInOrder reads the maps of a target whose threads grow and
// shrink mappings with mremap without pause (testdata/procfs/src/remap.c),
// with Maps and MapsRunning, against plain reads of the file: whatever the
// plain reads show (on Linux 6.18 about one in 800 lists a mapping twice),
// what Maps and MapsRunning return is always in address order. It reads
// until plain reads have shown a few torn listings, for at most 10 s.
func TestLiveMapsInOrder(t *testing.T) {
	p := proctest.StartC(t, "procfs/src/remap.c", "1")
	path := "/proc/" + strconv.Itoa(p.PID) + "/maps"
	deadline := time.Now().Add(10 * time.Second)
	reads, torn := 0, 0
	for ; torn < 3 && time.Now().Before(deadline); reads++ {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		maps, err := procfs.ParseMaps(raw)
		if err != nil {
			t.Fatal(err)
		}
		if procfs.Torn(maps) >= 0 {
			torn++
		}
		if _, maps, err = live.Maps(p.PID); err != nil || procfs.Torn(maps) >= 0 {
			t.Fatalf("Maps: %v, a mapping out of order at line %d", err, procfs.Torn(maps)+1)
		}
		if maps, err = live.MapsRunning(p.PID); err != nil || procfs.Torn(maps) >= 0 {
			t.Fatalf("MapsRunning: %v, a mapping out of order at line %d", err, procfs.Torn(maps)+1)
		}
	}
	t.Logf("%d plain reads of the listing, %d of them torn; Maps and MapsRunning always in order", reads, torn)
}
