//go:build procsnaptest

package main

// Test builds only (go build -tags procsnaptest, as the fault suite builds
// procsnap): PROCSNAP_TEST_HOLD_AFTER=N makes capture's output stop for
// good once N bytes are written, so that a test can kill procsnap at a
// point that is always mid-capture, however fast the machine. A release
// build has no such hook (testhook_off.go).

import (
	"io"
	"os"
	"strconv"
	"time"
)

// testHold wraps a capture's output with the hold, when it is asked for.
func testHold(w io.Writer) io.Writer {
	n, err := strconv.ParseInt(os.Getenv("PROCSNAP_TEST_HOLD_AFTER"), 10, 64)
	if err != nil || n <= 0 {
		return w
	}
	return &holdWriter{w: w, left: n}
}

// holdWriter writes through, and blocks forever after the write that
// reaches its limit.
type holdWriter struct {
	w    io.Writer
	left int64
}

func (h *holdWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	if h.left -= int64(n); h.left <= 0 {
		for {
			time.Sleep(time.Hour) // until the test kills procsnap
		}
	}
	return n, err
}
