package proctest

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// seize seizes tid from a thread other than the process's leader and
// returns "seized by TID", or what went wrong. That thread stays locked,
// and so a tracer, until the process exits.
func seize(tid int) string {
	runtime.LockOSThread()
	if unix.Gettid() != os.Getpid() {
		return seizeHere(tid)
	}
	// This goroutine holds the leader: another one cannot run on it.
	said := make(chan string)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the process
		said <- seizeHere(tid)
		select {}
	}()
	return <-said
}

func seizeHere(tid int) string {
	if err := unix.PtraceSeize(tid); err != nil {
		return fmt.Sprintf("error: seize %d: %v", tid, err)
	}
	return fmt.Sprintf("seized by %d", unix.Gettid())
}
