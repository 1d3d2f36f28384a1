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

// secret is planted in the heap for `procsnap search --string 'quick brown fox'` to find.
var secret []byte

func main() {
	allowTracer()
	secret = append(make([]byte, 0, 4096), "procsnap-demo: the quick brown fox jumps over the lazy dog"...)
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
			fmt.Fprintf(os.Stderr, "demo: %d heap blocks, secret of %d bytes\n", len(heap), len(secret))
			return
		case <-tick.C:
			n++
			heap[n%len(heap)][0] = byte(n)
		}
	}
}
