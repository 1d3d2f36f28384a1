// Command demo is the bundled capture target for README's first command: it
// fills some memory with recognisable content, prints its pid, and waits.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

var secret = []byte("procsnap-demo: the quick brown fox jumps over the lazy dog")

func main() {
	heap := make([][]byte, 64)
	for i := range heap {
		heap[i] = []byte(strings.Repeat(fmt.Sprintf("demo heap block %d ", i), 4096/20))
	}
	fmt.Println(os.Getpid())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	tick := time.NewTicker(10 * time.Millisecond)
	n := 0
	for {
		select {
		case <-sig:
			_ = heap
			_ = secret
			return
		case <-tick.C:
			n++
			heap[n%len(heap)][0] = byte(n)
		}
	}
}
