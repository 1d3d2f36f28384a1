package formattest

import (
	"fmt"
	"math/rand/v2"
)

// Needle is planted by MixedPages once every 1000 text pages.
const Needle = "procsnap-needle"

// MixedPages returns n bytes (whole 4 KiB pages) of a process's memory as
// the benchmarks see it: pages in turn zero, text (words, numbers, JSON,
// with Needle once every 1000 text pages) and random. The same n gives
// the same bytes.
func MixedPages(n int) []byte {
	const pg = 4096
	rng := rand.New(rand.NewPCG(5, 6))
	words := []string{"the", "process", "memory", "region", "GET /index.html HTTP/1.1", "kernel", "0x7ffd12345678",
		"user=admin", "snapshot", "{\"id\":42,\"name\":\"procsnap\"}", "error:", "connection", "session", "token"}
	b := make([]byte, n)
	var t []byte
	for p := 0; (p+1)*pg <= n; p++ {
		page := b[p*pg : (p+1)*pg]
		switch p % 3 {
		case 1:
			t = t[:0]
			for len(t) < pg {
				t = append(t, words[rng.IntN(len(words))]...)
				t = append(t, ' ')
				if rng.IntN(8) == 0 {
					t = fmt.Appendf(t, "%d\n", rng.IntN(100000))
				}
			}
			if p%3000 == 1 {
				copy(t[rng.IntN(pg-20):], Needle)
			}
			copy(page, t)
		case 2:
			for i := 0; i < pg; i += 8 {
				v := rng.Uint64()
				for k := range 8 {
					page[i+k] = byte(v >> (8 * k))
				}
			}
		}
	}
	return b
}
