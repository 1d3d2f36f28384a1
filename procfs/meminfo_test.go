package procfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestParseMeminfo(t *testing.T) {
	const head = "MemTotal:       32768000 kB\nMemFree:         1000000 kB\n"
	for _, tc := range []struct {
		name, text string
		want       Meminfo
	}{
		{"both", head + "MemAvailable:    2000000 kB\nHugePages_Total:       0\n",
			Meminfo{MemTotal: 32768000 << 10, MemAvailable: 2000000 << 10}},
		{"before Linux 3.14", head + "Buffers:           1234 kB\n", Meminfo{MemTotal: 32768000 << 10}},
		{"zero", "MemTotal:              0 kB\nMemAvailable:          0 kB\n", Meminfo{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMeminfo(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("parseMeminfo\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseMeminfoErrors(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"empty", ""},
		{"no MemTotal", "MemFree:         1000000 kB\n"},
		{"truncated", "MemTotal:       32768000 kB\nMemAvail"},
		{"no colon", "MemTotal:       32768000 kB\nMemFree 1 kB\n"},
		{"no unit", "MemTotal:       32768000\n"},
		{"not a number", "MemTotal:       lots kB\n"},
		{"repeated", "MemTotal:       1 kB\nMemTotal:       1 kB\n"},
		{"huge", "MemTotal:       1125899906842624 kB\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseMeminfo(tc.text)
			var perr *ParseError
			if !errors.As(err, &perr) {
				t.Errorf("parseMeminfo(%q) = %v, want a *ParseError", tc.text, err)
			}
		})
	}
}

func TestMemAvailable(t *testing.T) {
	dir := t.TempDir()
	fs := NewFS(dir)
	if got := fs.MemAvailable(); got != 0 {
		t.Errorf("MemAvailable without meminfo = %d, want 0", got)
	}
	text := "MemTotal:       32768000 kB\nMemAvailable:    2000000 kB\n"
	if err := os.WriteFile(filepath.Join(dir, "meminfo"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := fs.MemAvailable(); got != 2000000<<10 {
		t.Errorf("MemAvailable = %d, want %d", got, 2000000<<10)
	}
}
