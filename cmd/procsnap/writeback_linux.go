package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// writebackEvery is how many bytes pass between two writeback starts.
const writebackEvery = 64 << 20

// writeback writes to a regular file and starts the kernel's writeback of
// every 64 MiB written (sync_file_range, which does not wait), so that the
// fsync that makes the file durable at the end waits for the last part
// only, not for the whole file.
type writeback struct {
	f          *os.File
	off, begun int64
}

func newWriteback(f *os.File) *writeback { return &writeback{f: f} }

func (w *writeback) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.begun >= writebackEvery {
		// Advice: a failure here changes nothing that fsync will not report.
		_ = unix.SyncFileRange(int(w.f.Fd()), w.begun, w.off-w.begun, unix.SYNC_FILE_RANGE_WRITE)
		w.begun = w.off
	}
	return n, err
}
