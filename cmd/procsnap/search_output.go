package main

// The output of the search verb: human lines and streamed JSON.

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/snapshot/search"
)

// searchOutput writes the matches in order. Each match is rendered where
// it is found, in the search's worker goroutines (search.Options.Format),
// from text prepared once per region.
type searchOutput struct {
	w       *bufio.Writer
	json    bool
	strings bool // matches are strings: print their text
	n       int
	regions map[*format.Region][]byte // the line or object text after the address
}

func newSearchOutput(w io.Writer, asJSON, isStrings bool, regions []*format.Region) *searchOutput {
	s := &searchOutput{w: bufio.NewWriterSize(w, 64<<10), json: asJSON, strings: isStrings, regions: map[*format.Region][]byte{}}
	for _, g := range regions {
		d := g.Desc
		if asJSON {
			path, _ := json.Marshal(d.Path) // a string always marshals
			perms, _ := json.Marshal(d.Perms)
			s.regions[g] = fmt.Appendf(nil, `,"region":%d,"path":%s,"perms":%s,"offset":"0x`, d.Index, path, perms)
			continue
		}
		path := d.Path
		if path == "" {
			path = "-"
		}
		s.regions[g] = fmt.Appendf(nil, "  region %d %s %s  +0x", d.Index, clean(d.Perms), clean(path))
	}
	return s
}

// format renders a match (called concurrently, by the search workers).
func (s *searchOutput) format(b []byte, m search.Match) []byte {
	if s.json {
		return s.appendJSON(b, m)
	}
	return s.appendLine(b, m)
}

// match writes a match the workers rendered.
func (s *searchOutput) match(m search.Match) error {
	if s.json {
		sep := ",\n"
		if s.n == 0 {
			sep = "{\"matches\": [\n"
		}
		if _, err := s.w.WriteString(sep); err != nil {
			return err
		}
	}
	s.n++
	_, err := s.w.Write(m.Formatted)
	return err
}

// maxShownMatch bounds the match bytes a human line shows.
const maxShownMatch = 64

// appendLine formats a match for people:
//
//	0x7f3a1c0051a0  region 12 rw-p [heap]  +0x1a0  6f 20  48 65 6c 6c 6f  2c 20  |o Hello, |
//
// The hex shows the context before, the match and the context after, apart;
// a string shows its encoding and text instead (its characters are
// printable ASCII and tab).
func (s *searchOutput) appendLine(b []byte, m search.Match) []byte {
	b = append(b, "0x"...)
	b = appendHexUint(b, m.Addr)
	b = append(b, s.regions[m.Region]...)
	b = appendHexUint(b, m.Offset())
	b = append(b, "  "...)
	if s.strings {
		b = append(b, m.Encoding.String()...)
		b = append(b, "  "...)
		b = appendText(b, m)
		if m.Truncated {
			b = append(b, "…"...)
		}
		return append(b, '\n')
	}
	before := min(int(m.Addr-m.ContextAddr), len(m.Context))
	end := min(before+m.Len, len(m.Context))
	match, after := m.Context[before:end], m.Context[end:]
	shown := m.Context
	if len(match) > maxShownMatch {
		match, after = match[:maxShownMatch], nil
		shown = m.Context[:before+maxShownMatch]
	}
	for _, part := range [][]byte{m.Context[:before], match, after} {
		if len(part) > 0 {
			b = appendSpacedHex(b, part)
			b = append(b, "  "...)
		}
	}
	if len(shown) < len(m.Context) {
		b = append(b, "…  "...)
	}
	b = append(b, '|')
	b = appendDots(b, shown)
	return append(b, "|\n"...)
}

// appendText appends a string match's characters: its bytes, or for
// UTF-16LE every other byte.
func appendText(b []byte, m search.Match) []byte {
	if m.Encoding != search.EncodingUTF16LE {
		return append(b, m.Context...)
	}
	for i := 0; i < len(m.Context); i += 2 {
		b = append(b, m.Context[i])
	}
	return b
}

func appendHexUint(b []byte, v uint64) []byte {
	var t [16]byte
	i := len(t)
	for {
		i--
		t[i] = hexDigits[v&15]
		if v >>= 4; v == 0 {
			break
		}
	}
	return append(b, t[i:]...)
}

const hexDigits = "0123456789abcdef"

func appendSpacedHex(b, p []byte) []byte {
	for i, c := range p {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// appendDots appends p with every byte that is not printable ASCII as '.'.
func appendDots(b, p []byte) []byte {
	for _, c := range p {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		b = append(b, c)
	}
	return b
}

// appendJSON renders a match as its --json object (docs/CLI.md): address,
// region, path, perms, offset, length, encoding, text, truncated,
// context_address, context_hex, context_text.
func (s *searchOutput) appendJSON(b []byte, m search.Match) []byte {
	b = append(b, `{"address":"0x`...)
	b = appendHexUint(b, m.Addr)
	b = append(b, '"')
	b = append(b, s.regions[m.Region]...)
	b = appendHexUint(b, m.Offset())
	b = append(b, `","length":`...)
	b = strconv.AppendInt(b, int64(m.Len), 10)
	if e := m.Encoding.String(); e != "" {
		b = append(append(append(b, `,"encoding":"`...), e...), '"')
	}
	if s.strings {
		b = append(b, `,"text":"`...)
		b = appendJSONText(b, appendText(nil, m))
		b = append(b, '"')
		if m.Truncated {
			b = append(b, `,"truncated":true`...)
		}
	}
	b = append(b, `,"context_address":"0x`...)
	b = appendHexUint(b, m.ContextAddr)
	b = append(b, `","context_hex":"`...)
	b = hex.AppendEncode(b, m.Context)
	b = append(b, `","context_text":"`...)
	b = appendJSONText(b, appendDots(nil, m.Context))
	return append(b, `"}`...)
}

// appendJSONText appends ASCII text as the inside of a JSON string.
func appendJSONText(b, p []byte) []byte {
	for _, c := range p {
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c > 0x7e:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&15])
		default:
			b = append(b, c)
		}
	}
	return b
}

// searchJSONTail ends the --json document.
type searchJSONTail struct {
	Count      int                 `json:"count"`
	MaxReached bool                `json:"max_reached"`
	Problems   []searchJSONProblem `json:"problems"`
	Error      *jsonError          `json:"error,omitempty"` // the search ended in trouble or was interrupted
	Exit       *int                `json:"exit,omitempty"`  // with Error: the exit code
}

type searchJSONProblem struct {
	Region int    `json:"region"`
	Start  string `json:"start"`
	End    string `json:"end"`
	Error  string `json:"error"`
}

// finish ends the output (the --json document) and flushes it.
func (s *searchOutput) finish(res search.Result, end *codeError) error {
	if s.json {
		tail := searchJSONTail{Count: res.Matches, MaxReached: res.MaxReached, Problems: []searchJSONProblem{}}
		if end != nil && end.err != nil {
			e := newJSONError(end.err, end.code)
			tail.Error, tail.Exit = &e, &end.code
		}
		for _, p := range res.Problems {
			tail.Problems = append(tail.Problems, searchJSONProblem{Region: p.Region, Start: hexAddr(p.Start), End: hexAddr(p.End), Error: p.Err.Error()})
		}
		t, err := json.Marshal(tail)
		if err != nil {
			return err
		}
		head := "\n],\n"
		if s.n == 0 {
			head = "{\"matches\": [],\n"
		}
		s.w.WriteString(head)
		s.w.Write(append(t[1:], '\n')) // the tail's fields, after "{"
	}
	return s.w.Flush()
}
