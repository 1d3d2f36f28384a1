// Package formattest builds procsnap archives for tests: the one way a
// test writes an archive it needs (Archive, with its regions described
// page by page), and opens one it holds in memory (Open).
//
// It is imported by tests only. It writes through format.Writer, so every
// archive it makes is one procsnap could have written; it imports nothing
// of procsnap but format, and must not import snapshot or procfs.
package formattest
