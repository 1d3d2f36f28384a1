package ptrace

import (
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// tracer runs functions on one goroutine locked to its OS thread. Linux
// accepts ptrace requests for a tracee only from the thread that seized it, so
// every request of a Frozen goes through one tracer (delve's
// handlePtraceFuncs idea).
//
// The goroutine never unlocks its thread. When stop ends it, the Go runtime
// terminates the thread, and the kernel detaches every task the thread still
// traces (exit_ptrace): a task that could not be detached, or a zombie that
// cannot be, is released then, and a seized task resumes.
type tracer struct {
	reqs chan func()
	once sync.Once
}

func newTracer() *tracer {
	t := &tracer{reqs: make(chan func())}
	go t.serve()
	return t
}

func (t *tracer) serve() {
	runtime.LockOSThread()
	for fn := range t.reqs {
		fn()
	}
}

// do runs fn on the tracer thread and returns when fn has returned.
// It must not be called after stop.
func (t *tracer) do(fn func()) {
	done := make(chan struct{})
	t.reqs <- func() {
		defer close(done)
		fn()
	}
	<-done
}

// stop ends the tracer thread. It is safe to call more than once.
func (t *tracer) stop() {
	t.once.Do(func() { close(t.reqs) })
}

// ptrace makes one ptrace request. It must run on the tracer thread.
func ptrace(req int, tid int, addr, data uintptr) error {
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, data, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// getRegSet reads register set typ of tid into buf with PTRACE_GETREGSET and
// returns the length the kernel filled in. It must run on the tracer thread.
func getRegSet(tid int, typ uint32, buf []byte) (int, error) {
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETREGSET, uintptr(tid),
		uintptr(typ), uintptr(unsafe.Pointer(&iov)), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(iov.Len), nil
}
