package proctest

import (
	"encoding/binary"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Threads is a running testdata/capture/threads.c: counting threads, each
// with a slot in two arrays of counters, A (written first) and B, and a
// spawner of short-lived threads that count in the last slot.
type Threads struct {
	*Proc
	A, B        uint64 // the counter arrays
	N           int    // slots: the counting threads and the spawner's
	Big, BigLen uint64 // the block of BIG_MIB MiB of pattern, if any
}

// StartThreads starts threads.c with that many counting threads and a
// block of bigMiB MiB, and reads where its counters are from its ready line.
func StartThreads(tb testing.TB, threads, bigMiB int) *Threads {
	tb.Helper()
	bin := BuildC(tb, "capture/threads.c")
	p := StartReady(tb, exec.Command(bin, strconv.Itoa(threads), strconv.Itoa(bigMiB)))
	ready := p.Lines[len(p.Lines)-1]
	kv := Fields(ready)
	tg := &Threads{Proc: p}
	for k, dst := range map[string]*uint64{"A": &tg.A, "B": &tg.B, "BIG": &tg.Big, "BIGLEN": &tg.BigLen} {
		v := kv[k]
		x, err := strconv.ParseUint(v, 0, 64)
		if err != nil && v != "(nil)" {
			tb.Fatalf("threads target said %q", ready)
		}
		*dst = x
	}
	tg.N, _ = strconv.Atoi(kv["N"])
	if tg.A == 0 || tg.B == 0 || tg.N != threads+1 {
		tb.Fatalf("threads target said %q", ready)
	}
	return tg
}

// Counters reads both counter arrays of the running target.
func (tg *Threads) Counters(tb testing.TB) (a, b []uint64) {
	tb.Helper()
	return Words(ReadMem(tb, tg.PID, tg.A, 8*tg.N)), Words(ReadMem(tb, tg.PID, tg.B, 8*tg.N))
}

// CheckRunning waits up to 10 s until every counter has moved, and checks
// that no task is stopped: the target runs (again).
func (tg *Threads) CheckRunning(tb testing.TB) {
	tb.Helper()
	_, before := tg.Counters(tb)
	moved := 0
	if !poll(10*time.Second, func() bool {
		_, after := tg.Counters(tb)
		moved = 0
		for i := range after {
			if after[i] > before[i] {
				moved++
			}
		}
		return moved == len(after)
	}) {
		tb.Fatalf("after 10 s only %d of %d counters moved: the target does not run (tasks %v)", moved, tg.N, StatesOf(tb, tg.PID))
	}
	CheckNotStopped(tb, tg.PID)
}

// Words reads b as little-endian 64-bit words.
func Words(b []byte) []uint64 {
	w := make([]uint64, len(b)/8)
	for i := range w {
		w[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return w
}

// ReadMem reads n bytes at addr of process pid (process_vm_readv).
func ReadMem(tb testing.TB, pid int, addr uint64, n int) []byte {
	tb.Helper()
	b, err := readMem(pid, addr, n)
	if err != nil {
		tb.Fatalf("read %d bytes at %#x of PID %d: %v", n, addr, pid, err)
	}
	return b
}
