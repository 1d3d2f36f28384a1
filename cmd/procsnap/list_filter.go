package main

import (
	"strings"

	"github.com/procsnap/procsnap/format"
)

// listFilter selects the regions list shows: every condition given must
// hold. The zero value selects every region.
type listFilter struct {
	path   string          // the path contains this ("" = any)
	perms  string          // the perms column has each of these letters
	states map[string]bool // the state is one of these (nil = any)
}

// newListFilter checks the values of --path, --perms and --state.
// pathGiven tells an empty --path (refused) from none.
func newListFilter(path string, pathGiven bool, perms, states string) (listFilter, error) {
	f := listFilter{path: path, perms: perms}
	if err := checkPath(path, pathGiven); err != nil {
		return f, err
	}
	for _, c := range perms {
		if !strings.ContainsRune("rwxps", c) {
			return f, usagef("--perms %q: want letters from r, w, x, p (private) and s (shared), e.g. rw or x", perms)
		}
	}
	if states == "" {
		return f, nil
	}
	f.states = map[string]bool{}
	for _, s := range strings.Split(states, ",") {
		switch s {
		case "complete", "partial", "skipped", "truncated":
			f.states[s] = true
		default:
			return f, usagef("--state %q: want complete, partial, skipped or truncated (several: partial,truncated)", s)
		}
	}
	return f, nil
}

// match reports whether region g passes the filter.
func (f listFilter) match(g *format.Region) bool {
	d := g.Desc
	if f.path != "" && !pathMatches(d.Path, f.path) {
		return false
	}
	for _, c := range f.perms {
		if !strings.ContainsRune(d.Perms, c) {
			return false
		}
	}
	return f.states == nil || f.states[g.State().String()]
}
