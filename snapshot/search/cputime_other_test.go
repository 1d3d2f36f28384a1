//go:build !unix

package search

import "time"

// cpuTime is not measured on this OS: the CPU-time ratio reads NaN.
func cpuTime() time.Duration { return 0 }
