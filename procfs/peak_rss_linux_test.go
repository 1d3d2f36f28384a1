package procfs

import (
	"errors"
	"os"
	"testing"
)

func TestParseVmHWM(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       int64
		wantErr    bool
	}{
		{"present", "Name:\tcat\nVmPeak:\t    9000 kB\nVmHWM:\t    2012 kB\nVmRSS:\t    2012 kB\n", 2012 << 10, false},
		{"kernel thread", "Name:\tkthreadd\nState:\tS (sleeping)\n", 0, false},
		{"no unit", "VmHWM:\t    2012\n", 0, true},
		{"not a number", "VmHWM:\t    lots kB\n", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseVmHWM(tc.text)
			var perr *ParseError
			if got != tc.want || tc.wantErr != errors.As(err, &perr) {
				t.Errorf("parseVmHWM = %d, %v; want %d, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestPeakRSSLive(t *testing.T) {
	fs, self := Default(), os.Getpid()
	big := make([]byte, 16<<20)
	for i := range big {
		big[i] = 1
	}
	peak, err := fs.PeakRSS(self)
	if err != nil || peak < int64(len(big)) {
		t.Fatalf("PeakRSS after touching 16 MiB = %d, %v", peak, err)
	}
	if err := fs.ResetPeakRSS(self); err != nil {
		t.Fatal(err)
	}
	if after, err := fs.PeakRSS(self); err != nil || after <= 0 {
		t.Errorf("PeakRSS after ResetPeakRSS = %d, %v", after, err)
	}
}
