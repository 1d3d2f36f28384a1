package main

// --path has one meaning in every verb that takes it (list, extract,
// search, yara; docs/CLI.md, "Choosing regions by path"): a region matches
// when TEXT occurs anywhere in its path, byte for byte and case-sensitive,
// in the path exactly as the kernel printed it in maps (" (deleted)"
// included). An anonymous region has no path and never matches, and an
// empty TEXT is refused. extract, which writes one region, refuses a TEXT
// that several regions match and lists them.

import (
	"strings"

	"github.com/procsnap/procsnap/format"
)

// checkPath refuses an empty --path (given tells it from no --path).
func checkPath(text string, given bool) error {
	if given && text == "" {
		return usagef("--path: want the text a path contains, e.g. --path libc or --path '[heap]'")
	}
	return nil
}

// pathMatches reports whether a region's path matches --path text.
func pathMatches(path, text string) bool {
	return text != "" && strings.Contains(path, text)
}

// regionsByPath are the regions of r whose path matches text, in the
// archive's order.
func regionsByPath(r *format.Reader, text string) []*format.Region {
	var out []*format.Region
	for _, g := range r.Regions() {
		if pathMatches(g.Desc.Path, text) {
			out = append(out, g)
		}
	}
	return out
}
