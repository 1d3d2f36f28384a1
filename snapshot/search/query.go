package search

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits on what a Query may ask for. They bound the bytes a search keeps
// around each piece boundary.
const (
	MaxPatternLen      = 64 << 10 // a --string or --hex pattern, in bytes
	DefaultMaxMatchLen = 4096     // longest regex match; longest string text kept
	MaxMaxMatchLen     = 1 << 20
	MaxContext         = 4096 // context bytes on each side of a match
	DefaultMinString   = 4
)

// Kind is what a Query looks for.
type Kind int

const (
	KindLiteral Kind = iota // fixed byte patterns
	KindRegex               // a regular expression over bytes
	KindStrings             // runs of printable characters
)

// Encoding says how matched text is encoded.
type Encoding uint8

const (
	EncodingNone    Encoding = iota // raw bytes (--hex, --regex)
	EncodingASCII                   // one byte per character
	EncodingUTF8                    // a --string with non-ASCII characters
	EncodingUTF16LE                 // two bytes per character, low byte first
)

// String is the name used in output: "", "ascii", "utf-8" or "utf-16le".
func (e Encoding) String() string {
	switch e {
	case EncodingASCII:
		return "ascii"
	case EncodingUTF8:
		return "utf-8"
	case EncodingUTF16LE:
		return "utf-16le"
	}
	return ""
}

// Query is a compiled search request. Build one with NewText, NewBytes,
// NewRegex or NewStrings; it is safe for concurrent use.
type Query struct {
	kind   Kind
	lits   literalSet
	re     *regexp.Regexp
	minLen int  // strings: shortest run reported, in characters
	wide   bool // strings: also UTF-16LE runs
	maxLen int  // regex: longest match; strings: longest text kept
}

// Kind is what the query looks for.
func (q *Query) Kind() Kind { return q.kind }

// maxMatch is the longest match the query can report, in bytes (strings:
// unbounded, 0).
func (q *Query) maxMatch() int {
	switch q.kind {
	case KindLiteral:
		n := 0
		for _, l := range q.lits {
			n = max(n, len(l.pat))
		}
		return n
	case KindRegex:
		return q.maxLen
	}
	return 0
}

// TextOptions tune NewText.
type TextOptions struct {
	Wide       bool // also search the UTF-16LE encoding of the text
	IgnoreCase bool // ASCII case folding: 'a' matches 'A' and nothing else
}

// NewText searches for text as its UTF-8 bytes and, with Wide, also as
// UTF-16LE. Every occurrence is reported, overlapping ones included.
func NewText(text string, opts TextOptions) (*Query, error) {
	if text == "" {
		return nil, errors.New("empty search string")
	}
	if !utf8.ValidString(text) {
		return nil, errors.New("search string is not valid UTF-8 (use --hex for raw bytes)")
	}
	enc := EncodingASCII
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			enc = EncodingUTF8
			break
		}
	}
	pats := []*literal{newLiteral([]byte(text), opts.IgnoreCase, enc)}
	if opts.Wide {
		pats = append(pats, newLiteral(utf16LE(text), opts.IgnoreCase, EncodingUTF16LE))
	}
	for _, l := range pats {
		if len(l.pat) > MaxPatternLen {
			return nil, fmt.Errorf("search string of %d bytes (%s) is above the limit of %d", len(l.pat), l.enc, MaxPatternLen)
		}
	}
	return &Query{kind: KindLiteral, lits: pats}, nil
}

// NewBytes searches for exact bytes. Every occurrence is reported,
// overlapping ones included.
func NewBytes(b []byte) (*Query, error) {
	switch {
	case len(b) == 0:
		return nil, errors.New("empty byte pattern")
	case len(b) > MaxPatternLen:
		return nil, fmt.Errorf("byte pattern of %d bytes is above the limit of %d", len(b), MaxPatternLen)
	}
	return &Query{kind: KindLiteral, lits: []*literal{newLiteral(b, false, EncodingNone)}}, nil
}

// ParseHex reads a byte pattern written as hex digits, optionally separated
// by spaces, colons or commas, with an optional 0x prefix: "48 65 6c",
// "48656c", "0x48656c", "48:65:6c".
func ParseHex(s string) ([]byte, error) {
	t := strings.TrimSpace(s)
	if len(t) > 2 && (t[:2] == "0x" || t[:2] == "0X") {
		t = t[2:]
	}
	out := make([]byte, 0, len(t)/2)
	hi := -1
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == ' ' || c == ':' || c == ',' || c == '\t' {
			if hi >= 0 {
				return nil, fmt.Errorf("bad hex %q: odd digit before a separator at byte %d", s, i)
			}
			continue
		}
		v := hexVal(c)
		if v < 0 {
			return nil, fmt.Errorf("bad hex %q: %q is not a hex digit", s, c)
		}
		if hi < 0 {
			hi = v
			continue
		}
		out = append(out, byte(hi<<4|v))
		hi = -1
	}
	if hi >= 0 {
		return nil, fmt.Errorf("bad hex %q: odd number of digits", s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bad hex %q: no bytes", s)
	}
	return out, nil
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// utf16LE encodes s as UTF-16, little-endian.
func utf16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u))
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}

// NewRegex searches for a Go (RE2) regular expression over bytes. The bytes
// are read as UTF-8 (an invalid byte is one U+FFFD character). Matches are
// leftmost-first and do not overlap; a match is at most maxLen bytes
// (DefaultMaxMatchLen when 0): a longer one is reported cut to maxLen. With
// ignoreCase the expression is compiled with RE2's (?i).
func NewRegex(expr string, ignoreCase bool, maxLen int) (*Query, error) {
	maxLen, err := checkMaxLen(maxLen)
	if err != nil {
		return nil, err
	}
	if ignoreCase {
		expr = "(?i:" + expr + ")"
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("bad regular expression: %w", err)
	}
	if re.Match(nil) {
		return nil, fmt.Errorf("regular expression %q matches the empty string: it would match everywhere", expr)
	}
	return &Query{kind: KindRegex, re: re, maxLen: maxLen}, nil
}

// NewStrings reports runs of at least minLen printable ASCII characters
// (0x20-0x7e and tab), and with wide also UTF-16LE runs of such characters
// (each followed by a zero byte). Only the first maxLen characters of a run
// are kept as its text (DefaultMaxMatchLen when 0); its length is exact.
func NewStrings(minLen int, wide bool, maxLen int) (*Query, error) {
	maxLen, err := checkMaxLen(maxLen)
	if err != nil {
		return nil, err
	}
	if minLen == 0 {
		minLen = DefaultMinString
	}
	if minLen < 1 || minLen > maxLen {
		return nil, fmt.Errorf("minimum string length %d is outside 1..%d", minLen, maxLen)
	}
	return &Query{kind: KindStrings, minLen: minLen, wide: wide, maxLen: maxLen}, nil
}

func checkMaxLen(n int) (int, error) {
	if n == 0 {
		return DefaultMaxMatchLen, nil
	}
	if n < 1 || n > MaxMaxMatchLen {
		return 0, fmt.Errorf("maximum match length %d is outside 1..%d", n, MaxMaxMatchLen)
	}
	return n, nil
}
