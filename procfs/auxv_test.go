package procfs

import (
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
)

// auxvBytes encodes words as a 64-bit process's auxv.
func auxvBytes(words ...uint64) []byte {
	var b []byte
	for _, w := range words {
		b = binary.NativeEndian.AppendUint64(b, w)
	}
	return b
}

func TestParseAuxv(t *testing.T) {
	got, err := ParseAuxv(auxvBytes(AT_PAGESZ, 4096, AT_SYSINFO_EHDR, 0x7ffd4c1f2000, AT_NULL, 0))
	want := []AuxvEntry{{AT_PAGESZ, 4096}, {AT_SYSINFO_EHDR, 0x7ffd4c1f2000}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseAuxv = %v, %v; want %v", got, err, want)
	}
	if v, ok := AuxvValue(got, AT_SYSINFO_EHDR); !ok || v != 0x7ffd4c1f2000 {
		t.Errorf("AuxvValue(AT_SYSINFO_EHDR) = %#x, %v", v, ok)
	}
	if _, ok := AuxvValue(got, AT_ENTRY); ok {
		t.Errorf("AuxvValue found an AT_ENTRY that is not there")
	}
	if got, err := ParseAuxv(nil); got != nil || err != nil {
		t.Errorf("ParseAuxv(nil) = %v, %v; want nothing", got, err)
	}
}

func TestParseAuxvErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		raw    []byte
		reason string
	}{
		{"32-bit words", auxvBytes(AT_PAGESZ, 4096, 0)[:20], "not a multiple of 16"},
		{"no AT_NULL", auxvBytes(AT_PAGESZ, 4096), "no AT_NULL"},
		{"data after AT_NULL", auxvBytes(AT_PAGESZ, 4096, AT_NULL, 0, AT_ENTRY, 1), "16 bytes after AT_NULL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAuxv(tc.raw)
			var perr *ParseError
			if !errors.As(err, &perr) || !strings.Contains(perr.Reason, tc.reason) {
				t.Errorf("ParseAuxv = %v, %v; want a *ParseError with %q", got, err, tc.reason)
			}
		})
	}
}

// TestAuxvFixtures checks each fixture's auxv against its maps: AT_SYSINFO_EHDR is [vdso].
func TestAuxvFixtures(t *testing.T) {
	for name, pid := range fixturePids(t) {
		t.Run(name, func(t *testing.T) {
			raw, auxv, err := fixtures.Auxv(pid)
			if err != nil {
				t.Fatal(err)
			}
			if len(raw) != (len(auxv)+1)*auxvEntrySize {
				t.Errorf("%d raw bytes for %d entries and AT_NULL", len(raw), len(auxv))
			}
			if v, _ := AuxvValue(auxv, AT_PAGESZ); v != 4096 {
				t.Errorf("AT_PAGESZ = %d, want 4096", v)
			}
			if v, _ := AuxvValue(auxv, AT_CLKTCK); v != 100 {
				t.Errorf("AT_CLKTCK = %d, want 100", v)
			}
			_, maps, err := fixtures.Maps(pid)
			if err != nil {
				t.Fatal(err)
			}
			vdso := maps[slices.IndexFunc(maps, func(m Mapping) bool { return m.Kind() == KindVdso })]
			if v, _ := AuxvValue(auxv, AT_SYSINFO_EHDR); v != vdso.Start {
				t.Errorf("AT_SYSINFO_EHDR = %#x, [vdso] starts at %#x", v, vdso.Start)
			}
		})
	}
}
