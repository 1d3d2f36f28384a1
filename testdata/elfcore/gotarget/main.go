// Command gotarget is the Go target of procsnap's export-core live tests
// (cmd/procsnap/exportcore_live_linux_test.go).
//
// It sets someVar at run time (so gdb can only see the value in the core's
// memory), parks blockers goroutines in blocking read(2) calls so that the
// runtime runs several OS threads, prints "ready" and waits until its
// stdin is closed.
package main

import (
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

const blockers = 3

var someVar uint64 = 1

func main() {
	someVar = 0x5eed5eed87654321
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		panic(err)
	}
	for range blockers {
		go func() {
			var b [1]byte
			syscall.Read(fds[0], b[:]) // a blocking fd: the thread stays in read(2)
		}()
	}
	time.Sleep(100 * time.Millisecond) // let the runtime start a thread per blocked goroutine
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	fmt.Println(someVar)
}
