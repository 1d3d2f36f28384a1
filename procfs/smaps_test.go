package procfs

import (
	"bufio"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestVmFlagsFixtures reads the VmFlags of every mapping of every fixture and checks them
// against the permissions of the maps line.
func TestVmFlagsFixtures(t *testing.T) {
	for name, pid := range fixturePids(t) {
		t.Run(name, func(t *testing.T) {
			_, maps, err := fixtures.Maps(pid)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range maps {
				flags, err := fixtures.VmFlags(pid, m.Start)
				if err != nil {
					t.Fatalf("VmFlags(%#x): %v", m.Start, err)
				}
				if slices.Contains(flags, "rd") != m.Readable() || slices.Contains(flags, "wr") != m.Writable() ||
					slices.Contains(flags, "ex") != m.Executable() {
					t.Errorf("VmFlags of %q = %q", m.Line, flags)
				}
				if m.Kind() == KindStack && !slices.Contains(flags, "gd") {
					t.Errorf("VmFlags of the stack %q lack gd (grows down): %q", m.Line, flags)
				}
			}
			_, err = fixtures.VmFlags(pid, 0x1000)
			if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "smaps") {
				t.Errorf("VmFlags of no mapping: %v, want ErrNotExist naming smaps", err)
			}
		})
	}
}

func TestScanVmFlags(t *testing.T) {
	const block = "7f3c1a200000-7f3c1a201000 r--p 00000000 fe:00 12                         /tmp/a b\n" +
		"Size:                  4 kB\n" +
		"VmFlags: rd mr mw me dd \n"
	const noFlags = "00400000-00401000 r-xp 00000000 fe:00 13                                 /bin/x\n" +
		"Size:                  4 kB\n"
	for _, tc := range []struct {
		name  string
		text  string
		start uint64
		want  []string
		err   string
	}{
		{"found", noFlags + "VmFlags: rd ex\n" + block, 0x7f3c1a200000, []string{"rd", "mr", "mw", "me", "dd"}, ""},
		{"short address", noFlags + "VmFlags: rd ex\n", 0x400000, []string{"rd", "ex"}, ""},
		{"missing", block, 0x400000, nil, "no mapping starts at 0x400000"},
		{"block without VmFlags", noFlags + block, 0x400000, nil, "has no VmFlags"},
		{"last block without VmFlags", noFlags, 0x400000, nil, "has no VmFlags"},
		{"line too long", noFlags + "Size: " + strings.Repeat("x", maxLine) + "\n", 0x400000, nil, "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := bufio.NewScanner(strings.NewReader(tc.text))
			sc.Buffer(nil, maxLine)
			got, err := scanVmFlags(sc, "smaps", tc.start)
			if tc.err == "" && (err != nil || !slices.Equal(got, tc.want)) {
				t.Errorf("scanVmFlags = %q, %v; want %q", got, err, tc.want)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("scanVmFlags = %q, %v; want an error with %q", got, err, tc.err)
			}
		})
	}
}
