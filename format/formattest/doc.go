// Package formattest builds procsnap archives for tests: the one way a
// test writes a well-formed archive (Archive, its regions described page
// by page) and opens one held in memory (Open), and the hostile archives
// of the fault suite: a Model of an archive as records, damaged and put
// back together with valid checksums, index and trailer, by a Mutator
// (random mutants and crafted ones).
//
// It is imported by tests only. It writes through format.Writer and takes
// archives apart with format's own layout (format.SplitRecords, Fields,
// AppendIndex), so no on-disk structure is described here a second time.
// It imports nothing of procsnap but format, and must not import snapshot
// or procfs.
package formattest
