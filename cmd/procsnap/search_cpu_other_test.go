//go:build !unix

package main

import "time"

// srchCPUTime is not measured on this OS: CPU-time ratios read NaN.
func srchCPUTime() time.Duration { return 0 }
