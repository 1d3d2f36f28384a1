// Package diff compares two snapshots of a process page by page, offline.
//
// Regions are matched by start address. For each matched pair the pages of
// the two regions are walked side by side using only what the archives
// already say about each page: the state and hash in every chunk header
// (format.Reader.ChunkInfo, which reads no stored bytes) and the state of
// every fill. Pages whose hashes are equal are therefore never
// decompressed, unless Options.Strict asks for their bytes to be compared
// as well.
//
// diff works on format.Reader only: it must not import the capture code
// (package snapshot, its internal packages, or procfs), and it never
// touches a live process.
package diff
