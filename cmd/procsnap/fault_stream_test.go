package main

// The hostile archives of TestFaultHostileArchives verified as streams
// (procsnap verify - reads them with format.VerifyStream): no panic, no
// hang, and the same judgement as verify FILE, except that a stream refuses
// records out of the order procsnap writes them, which a file accepts.

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/procsnap/procsnap/format"
)

func TestFaultStreamVerify(t *testing.T) {
	bases := faultBases(t, t.TempDir(), nil)
	seed := faultSeed(t)
	n, disagree := 0, 0
	for mu := range faultMutants(t, bases, seed, faultCount(1000, 20000)) {
		n++
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s, err := format.VerifyStream(ctx, iotest.HalfReader(bytes.NewReader(mu.Data)))
		cancel()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Errorf("%s: the stream was not verified in 30 s", mu.Name)
			continue
		}
		r, ferr := format.NewReader(bytes.NewReader(mu.Data), int64(len(mu.Data)))
		switch {
		case err != nil && ferr == nil:
			t.Errorf("%s: the stream is refused (%v), the file opens", mu.Name, err)
		case err == nil && ferr != nil:
			t.Errorf("%s: the stream verifies (ok %v), the file does not open: %v", mu.Name, s.OK, ferr)
		case err == nil:
			if v := r.Verify(context.Background()); s.OK != v.OK {
				disagree++
				if s.OK || !faultOutOfOrder(s) {
					t.Errorf("%s: stream ok %v %v; file ok %v %v", mu.Name, s.OK, s.Problems, v.OK, v.Problems)
				}
			}
		}
	}
	t.Logf("%d hostile archives verified as streams (seed %d); %d hold records out of the order a stream is verified in, which only a file accepts", n, seed, disagree)
}

// faultOutOfOrder reports whether a stream was refused for the order of its
// records, which a file may hold.
func faultOutOfOrder(s *format.StreamResult) bool {
	for _, p := range s.Problems {
		if strings.Contains(p.Problem, "out of the order procsnap writes them") {
			return true
		}
	}
	return false
}
