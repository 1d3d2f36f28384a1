package format

import (
	"slices"
	"testing"
)

func TestAppendRange(t *testing.T) {
	var rs []Range
	for _, r := range []Range{
		{0x1000, 0x2000, 5},
		{0x2000, 0x3000, 5},  // adjacent, same errno: extends
		{0x3000, 0x4000, 14}, // adjacent, another errno: new range
		{0x5000, 0x6000, 14}, // a gap: new range
		{0x6000, 0x8000, 14},
	} {
		rs = AppendRange(rs, r)
	}
	want := []Range{{0x1000, 0x3000, 5}, {0x3000, 0x4000, 14}, {0x5000, 0x8000, 14}}
	if !slices.Equal(rs, want) {
		t.Errorf("AppendRange gave %v, want %v", rs, want)
	}
}
