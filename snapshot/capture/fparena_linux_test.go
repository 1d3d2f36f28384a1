package capture

import "testing"

// TestFPArena hands out arrays across block boundaries (and one larger
// than a block) and checks that each is zeroed, writable and overlaps no
// other.
func TestFPArena(t *testing.T) {
	var a fpArena
	defer a.release()
	sizes := []int{256, fpBlockBytes/8 - 300, 512, fpBlockBytes/8 + 1, 1, 0, 2048}
	var got [][]uint64
	for i, n := range sizes {
		s := a.alloc(n)
		if len(s) != n || cap(s) != n {
			t.Fatalf("alloc(%d): len %d cap %d", n, len(s), cap(s))
		}
		for j := range s {
			if s[j] != 0 {
				t.Fatalf("alloc(%d)[%d] = %d, not zeroed", n, j, s[j])
			}
			s[j] = uint64(i)<<32 | uint64(j)
		}
		got = append(got, s)
	}
	for i, s := range got {
		for j, v := range s {
			if want := uint64(i)<<32 | uint64(j); v != want {
				t.Fatalf("array %d [%d] = %#x, want %#x: arrays overlap", i, j, v, want)
			}
		}
	}
	if len(a.blocks) != 3 {
		t.Errorf("%d blocks mapped, want 3 (the first, one for the array that did not fit in it, one of its own for the large one)", len(a.blocks))
	}
	a.release()
	if a.blocks != nil || a.free != nil {
		t.Error("release left blocks behind")
	}
}
