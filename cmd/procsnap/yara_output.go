package main

// The output of the yara verb: a header line per hit and a line per
// string match for people, or one JSON document.

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/procsnap/procsnap/snapshot/yarascan"
)

type yaraOutput struct {
	w    *bufio.Writer
	json bool
	set  *yaraSet
	n    int
}

func newYaraOutput(w io.Writer, asJSON bool, set *yaraSet) *yaraOutput {
	return &yaraOutput{w: bufio.NewWriterSize(w, 64<<10), json: asJSON, set: set}
}

// hit writes one hit (Scan's callback).
func (o *yaraOutput) hit(h yarascan.Hit) error {
	a := o.set.archives[h.Source]
	var b []byte
	if o.json {
		sep := ",\n"
		if o.n == 0 {
			sep = "{\"matches\": [\n"
		}
		b = appendYaraJSON(append(b, sep...), a, h)
	} else {
		b = appendYaraText(b, a, h)
	}
	o.n++
	_, err := o.w.Write(b)
	return err
}

// appendYaraText formats a hit for people:
//
//	default:Marker [tag] [author="x",score=7]  web.psnap pid 4242 web  region 12 rw-p [heap]  run 0x7f3a1c000000-0x7f3a1c021000
//	  0x7f3a1c0051a7  +0x1a7  $a  5  48 65 6c 6c 6f  |Hello|
//
// Text from the archive (command name, path) and from the rules (meta) is
// escaped; a string's line shows at most yarascan.MaxData bytes, then "…".
func appendYaraText(b []byte, a *yaraArchive, h yarascan.Hit) []byte {
	b = append(b, clean(h.Rule.Namespace+":"+h.Rule.Name)...)
	if len(h.Rule.Tags) > 0 {
		b = fmt.Appendf(b, " [%s]", clean(strings.Join(h.Rule.Tags, ",")))
	}
	if len(h.Rule.Meta) > 0 {
		b = append(b, " ["...)
		for i, m := range h.Rule.Meta {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, clean(m.Key)...)
			b = append(b, '=')
			if s, ok := m.Value.(string); ok {
				b = strconv.AppendQuote(b, s)
			} else {
				b = fmt.Append(b, m.Value)
			}
		}
		b = append(b, ']')
	}
	d := h.Region.Desc
	path := d.Path
	if path == "" {
		path = "-"
	}
	b = fmt.Appendf(b, "  %s pid %d %s  region %d %s %s  run 0x%x-0x%x\n",
		clean(a.name), a.pid(), clean(a.comm()), d.Index, clean(d.Perms), clean(path), h.Start, h.End)
	for _, s := range h.Strings {
		b = fmt.Appendf(b, "  0x%x  +0x%x  %s  %d  ", s.Addr, s.Addr-d.Start, s.ID, s.Len)
		b = appendSpacedHex(b, s.Data)
		if len(s.Data) < s.Len {
			b = append(b, " …"...)
		}
		b = append(b, "  |"...)
		b = appendDots(b, s.Data)
		b = append(b, "|\n"...)
	}
	return b
}

// appendYaraJSON renders a hit as its --json object (docs/CLI.md).
func appendYaraJSON(b []byte, a *yaraArchive, h yarascan.Hit) []byte {
	d := h.Region.Desc
	head := yaraJSONHit{Archive: a.name, PID: a.pid(), Comm: a.comm(), Rule: h.Rule.Name, Namespace: h.Rule.Namespace,
		Tags: h.Rule.Tags, Meta: []yaraJSONMeta{}, Region: d.Index, Path: d.Path, Perms: d.Perms,
		RunStart: hexAddr(h.Start), RunEnd: hexAddr(h.End), Strings: []yaraJSONString{}}
	if head.Tags == nil {
		head.Tags = []string{}
	}
	for _, m := range h.Rule.Meta {
		head.Meta = append(head.Meta, yaraJSONMeta{Key: m.Key, Value: m.Value})
	}
	for _, s := range h.Strings {
		head.Strings = append(head.Strings, yaraJSONString{ID: s.ID, Address: hexAddr(s.Addr), Offset: hexAddr(s.Addr - d.Start),
			Length: s.Len, DataHex: hex.EncodeToString(s.Data), DataText: string(appendDots(nil, s.Data)), Truncated: len(s.Data) < s.Len})
	}
	j, err := json.Marshal(head)
	if err != nil { // every field marshals
		panic(err)
	}
	return append(b, j...)
}

type yaraJSONHit struct {
	Archive   string           `json:"archive"`
	PID       int              `json:"pid"`
	Comm      string           `json:"comm"`
	Rule      string           `json:"rule"`
	Namespace string           `json:"namespace"`
	Tags      []string         `json:"tags"`
	Meta      []yaraJSONMeta   `json:"meta"`
	Region    int              `json:"region"`
	Path      string           `json:"path"`
	Perms     string           `json:"perms"`
	RunStart  string           `json:"run_start"`
	RunEnd    string           `json:"run_end"`
	Strings   []yaraJSONString `json:"strings"`
}

type yaraJSONMeta struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

type yaraJSONString struct {
	ID        string `json:"identifier"`
	Address   string `json:"address"`
	Offset    string `json:"offset"`
	Length    int    `json:"length"`
	DataHex   string `json:"data_hex"`
	DataText  string `json:"data_text"`
	Truncated bool   `json:"truncated"`
}

// yaraJSONTail ends the --json document.
type yaraJSONTail struct {
	Count    int               `json:"count"`
	Runs     int               `json:"runs"`
	Bytes    uint64            `json:"bytes"`
	Archives []yaraJSONArchive `json:"archives"`
	Problems []yaraJSONProblem `json:"problems"`
}

type yaraJSONArchive struct {
	Archive string `json:"archive"`
	PID     int    `json:"pid"`
	Comm    string `json:"comm"`
	Runs    int    `json:"runs"`
	Bytes   uint64 `json:"bytes"`
	Error   string `json:"error,omitempty"`
}

type yaraJSONProblem struct {
	Archive string `json:"archive"`
	Region  *int   `json:"region"`
	Start   string `json:"start,omitempty"`
	End     string `json:"end,omitempty"`
	Error   string `json:"error"`
}

// finish ends the output (the --json document) and flushes it.
func (o *yaraOutput) finish(res yarascan.Result) error {
	if o.json {
		head := "\n],\n"
		if o.n == 0 {
			head = "{\"matches\": [],\n"
		}
		t, err := json.Marshal(o.tail(res))
		if err != nil {
			return err
		}
		o.w.WriteString(head)
		o.w.Write(append(t[1:], '\n')) // the tail's fields, after "{"
	}
	return o.w.Flush()
}

func (o *yaraOutput) tail(res yarascan.Result) yaraJSONTail {
	t := yaraJSONTail{Count: res.Hits, Archives: []yaraJSONArchive{}, Problems: []yaraJSONProblem{}}
	for i, a := range o.set.archives {
		ja := yaraJSONArchive{Archive: a.name, PID: a.pid(), Comm: a.comm()}
		if i < len(res.Scanned) {
			ja.Runs, ja.Bytes = res.Scanned[i].Runs, res.Scanned[i].Bytes
		}
		t.Runs += ja.Runs
		t.Bytes += ja.Bytes
		t.Archives = append(t.Archives, ja)
	}
	for _, a := range o.set.failed {
		t.Archives = append(t.Archives, yaraJSONArchive{Archive: a.name, Error: a.err.Error()})
	}
	for _, p := range res.Problems {
		jp := yaraJSONProblem{Archive: o.set.archives[p.Source].name, Error: p.Err.Error()}
		if p.Region >= 0 {
			region := p.Region
			jp.Region, jp.Start, jp.End = &region, hexAddr(p.Start), hexAddr(p.End)
		}
		t.Problems = append(t.Problems, jp)
	}
	return t
}
