package main

// Small helpers for the words of human output: counts, paths, sizes.

import (
	"fmt"
	"strconv"
)

// plural says "1 thread", "2 threads" (word + "s").
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// pathText is a region's path for a table or a line of text: "-" for
// anonymous memory (no path), the path escaped otherwise.
func pathText(p string) string {
	if p == "" {
		return "-"
	}
	return clean(p)
}

// humanOf formats done and total in total's unit ("0.5 / 1.2 GiB"), so a
// line that counts up does not change units on the way.
func humanOf(done, total uint64) string {
	const unit = 1024
	if total < unit {
		return fmt.Sprintf("%d / %d B", done, total)
	}
	div, exp := uint64(unit), 0
	for m := total / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f / %.1f %ciB", float64(done)/float64(div), float64(total)/float64(div), "KMGTPE"[exp])
}
