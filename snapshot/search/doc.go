// Package search finds bytes, strings and patterns in a snapshot by virtual
// address.
//
// A Query is a set of literal byte patterns (a string, optionally also in
// UTF-16LE and with ASCII case folding, or hex bytes), a regular expression
// over bytes, or a request for printable strings (as strings(1) prints them,
// at their virtual addresses). Search runs a Query over the regions of a
// format.Reader and hands every match to a callback in address order.
//
// Only captured bytes are searched: data pages of chunks. Zero pages (in a
// chunk or a fill), unreadable and not-captured pages, and pages no record
// covers are skipped, and a match never spans one of them: the data is
// searched as contiguous readable runs, each inside one region.
//
// The work is split into pieces of a region aligned to its chunks; pieces are
// searched in parallel and their matches are merged back into address order.
// A match belongs to the piece where it starts; a piece reads past its end (or
// before its start) only when a match, its context or a string may cross the
// boundary, so each chunk is normally decompressed once (a regex search also
// reads a look-behind before each piece, for assertions such as \b). A chunk that cannot
// be read (damage) is reported as a Problem and treated as unreadable; the
// search goes on.
//
// search works offline: it imports format and must not import the capture
// code (snapshot, snapshot/internal, procfs).
package search
