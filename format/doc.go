// Package format reads and writes procsnap archives (format v1, specified
// byte by byte in docs/FORMAT.md).
//
// An archive is a signature followed by self-describing, checksummed
// records: a header, capture metadata, the verbatim maps, auxv, one record
// per thread, then per region a descriptor, its data (chunks and fills) and a
// footer, then an end record, an index and a fixed-size trailer holding the
// SHA-256 of every byte before it. The Writer never seeks, so an archive can
// be streamed to a pipe; the Reader uses the index for random access and
// falls back to a forward scan that recovers every intact record when the
// trailer or index is missing or damaged.
//
// Every byte a Reader sees is treated as hostile: lengths and counts are
// bounded before anything is allocated, zstd frames are decoded with limits
// derived from their declared sizes, and damage is reported as
// *CorruptError, never as a panic.
//
// The layout as stored is exported for tools that take an archive apart
// and put it back together (layout.go: SplitRecords, AppendRecord,
// AppendIndex, Fields); procsnap's hostile-input tests damage archives
// with it, so the layout is defined here only.
//
// format knows nothing of ptrace, /proc or the command line: it must not
// import snapshot or procfs, and it builds on every OS.
package format
