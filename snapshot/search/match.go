package search

import (
	"fmt"

	"github.com/procsnap/procsnap/format"
)

// Match is one hit, at a virtual address of the captured process.
type Match struct {
	Addr     uint64
	Len      int // bytes matched (a UTF-16LE string: two per character)
	Region   *format.Region
	Encoding Encoding // which encoding matched (--string), or a string's encoding
	// Context holds the bytes at ContextAddr: the match with up to
	// Options.Context bytes on each side, clipped to the readable run the
	// match lies in. For a string (KindStrings) it holds the string's bytes,
	// only the first characters of it when Truncated (the Query's maximum
	// match length). Several matches may share the memory of their Context:
	// do not write to it.
	ContextAddr uint64
	Context     []byte
	Truncated   bool
	// Formatted is what Options.Format made of the match (nil without it).
	// Its memory is reused once the callback returns: copy it to keep it.
	Formatted []byte
	str       bool
}

// Text returns a string's characters (KindStrings; "" for other matches):
// its Context decoded from ASCII or UTF-16LE.
func (m Match) Text() string {
	if !m.str {
		return ""
	}
	if m.Encoding != EncodingUTF16LE {
		return string(m.Context)
	}
	t := make([]byte, len(m.Context)/2)
	for i := range t {
		t[i] = m.Context[2*i]
	}
	return string(t)
}

// Offset is the match's offset from the start of its region.
func (m Match) Offset() uint64 { return m.Addr - m.Region.Desc.Start }

// Problem is a part of the archive that could not be searched: a chunk
// that failed its checks or could not be read. Its pages were treated as
// unreadable.
type Problem struct {
	Region     int
	Start, End uint64
	Err        error
}

func (p Problem) Error() string {
	return fmt.Sprintf("region %d %#x-%#x not searched: %v", p.Region, p.Start, p.End, p.Err)
}

func (p Problem) Unwrap() error { return p.Err }

// Result sums up a search.
type Result struct {
	Matches    int       // matches handed to the callback
	MaxReached bool      // the search stopped at Options.Max
	Problems   []Problem // chunks that could not be searched, in address order
}

// printable is the strings(1) character set: 0x20-0x7e and tab.
var printable = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	t['\t'] = true
	return t
}()
