package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
)

const (
	srchHeap  = 0x7f0000000000 // region 0, [heap], 16 pages
	srchLib   = 0x7f1000000000 // region 1, a library, 4 pages
	srchPage  = 4096
	srchChunk = 16 << 10
)

// srchArchive writes a small archive with planted strings: one inside a
// page, one across a chunk boundary, one in UTF-16LE, one in a page stored
// as unreadable, one in a library region; and a damaged copy of it whose
// second chunk fails its checks.
func srchArchive(t *testing.T) (good, damaged string) {
	t.Helper()
	heap := bytes.Repeat([]byte{0x90}, 16*srchPage)
	lib := bytes.Repeat([]byte{0xcc}, 4*srchPage)
	copy(heap[0x1a0:], "Hello, procsnap!")
	copy(heap[srchChunk-4:], "SECRET-token-42")
	copy(heap[3*srchPage+0x11:], srchWide("wide secret"))
	copy(heap[9*srchPage+8:], "unreadable secret")
	copy(lib[2*srchPage+0x40:], "SECRET-in-lib")
	dir := t.TempDir()
	good, damaged = filepath.Join(dir, "good.psnap"), filepath.Join(dir, "damaged.psnap")
	b := formattest.Archive{Options: format.WriterOptions{ChunkSize: srchChunk}, End: format.End{Complete: true},
		Regions: []formattest.Region{
			{Desc: format.RegionDesc{Start: srchHeap, Perms: "rw-p", Path: "[heap]"}, Layout: "DDDDDDDDDFDDDDDD", Data: heap},
			{Desc: format.RegionDesc{Start: srchLib, Perms: "r--p", Path: "/usr/lib/libfoo.so"}, Layout: "DDDD", Data: lib},
		}}.WriteFile(t, good)
	for _, s := range formattest.Open(t, b).Region(0).Spans() {
		if s.IsChunk() && s.Start == srchHeap+srchChunk {
			b[s.Offset()+30] ^= 0xff // in the chunk header: the record checksum fails
		}
	}
	srchMust(t, os.WriteFile(damaged, b, 0o600))
	return good, damaged
}

func srchWide(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}

func srchMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestSearchCLIHuman(t *testing.T) {
	good, _ := srchArchive(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"string", []string{"--string", "procsnap", "--context", "2"},
			"0x7f00000001a7  region 0 rw-p [heap]  +0x1a7  2c 20  70 72 6f 63 73 6e 61 70  21 90  |, procsnap!.|\n"},
		{"across-chunk", []string{"--string", "SECRET-token", "--context", "0"},
			"0x7f0000003ffc  region 0 rw-p [heap]  +0x3ffc  53 45 43 52 45 54 2d 74 6f 6b 65 6e  |SECRET-token|\n"},
		{"hex", []string{"--hex", "48 65 6c 6c 6f", "--context", "0"},
			"0x7f00000001a0  region 0 rw-p [heap]  +0x1a0  48 65 6c 6c 6f  |Hello|\n"},
		{"ignore-case-path", []string{"--string", "secret-IN", "-i", "--path", "libfoo", "--context", "1"},
			"0x7f1000002040  region 1 r--p /usr/lib/libfoo.so  +0x2040  cc  53 45 43 52 45 54 2d 69 6e  2d  |.SECRET-in-|\n"},
		{"regex-region", []string{"--regex", `SECRET-[a-z]+`, "--region", "1", "--context", "0"},
			"0x7f1000002040  region 1 r--p /usr/lib/libfoo.so  +0x2040  53 45 43 52 45 54 2d 69 6e  |SECRET-in|\n"},
		{"max", []string{"--regex", `SECRET-[a-z]+`, "--max", "1", "--context", "0"},
			"0x7f0000003ffc  region 0 rw-p [heap]  +0x3ffc  53 45 43 52 45 54 2d 74 6f 6b 65 6e  |SECRET-token|\n"},
		{"wide", []string{"--string", "wide", "--wide", "--context", "0"},
			"0x7f0000003011  region 0 rw-p [heap]  +0x3011  77 00 69 00 64 00 65 00  |w.i.d.e.|\n"},
		{"strings-min", []string{"--strings", "--min", "14", "--wide"},
			"0x7f00000001a0  region 0 rw-p [heap]  +0x1a0  ascii  Hello, procsnap!\n" +
				"0x7f0000003ffc  region 0 rw-p [heap]  +0x3ffc  ascii  SECRET-token-42\n"},
		{"strings-wide", []string{"--strings", "--min", "11", "--wide", "--region", "0"},
			"0x7f00000001a0  region 0 rw-p [heap]  +0x1a0  ascii  Hello, procsnap!\n" +
				"0x7f0000003011  region 0 rw-p [heap]  +0x3011  utf-16le  wide secret\n" +
				"0x7f0000003ffc  region 0 rw-p [heap]  +0x3ffc  ascii  SECRET-token-42\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(slices.Concat([]string{"search"}, c.args, []string{good})...)
			if code != 0 || stdout != c.want || stderr != "" {
				t.Errorf("exit %d, stderr %q\n got %q\nwant %q", code, stderr, stdout, c.want)
			}
		})
	}
}

func TestSearchCLIStrings(t *testing.T) {
	good, _ := srchArchive(t)
	code, stdout, _ := runCLI("search", "--strings", good)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"0x7f00000001a0  region 0 rw-p [heap]  +0x1a0  ascii  Hello, procsnap!\n",
		"0x7f0000003ffc  region 0 rw-p [heap]  +0x3ffc  ascii  SECRET-token-42\n",
		"0x7f1000002040  region 1 r--p /usr/lib/libfoo.so  +0x2040  ascii  SECRET-in-lib\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--strings lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "unreadable") || strings.Contains(stdout, "utf-16le") {
		t.Errorf("--strings shows an unreadable page or, without --wide, a UTF-16LE string:\n%s", stdout)
	}
}

func TestSearchCLIJSON(t *testing.T) {
	good, _ := srchArchive(t)
	code, stdout, stderr := runCLI("search", "--json", "--string", "secret", "--wide", "-i", "--context", "3", good)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Matches []struct {
			Address, Path, Perms, Offset, Encoding string
			Region, Length                         int
			ContextAddress                         string `json:"context_address"`
			ContextHex                             string `json:"context_hex"`
			ContextText                            string `json:"context_text"`
			Text                                   *string
		}
		Count      int
		MaxReached bool `json:"max_reached"`
		Problems   []any
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	var got []string
	for _, m := range doc.Matches {
		ctx, err := hex.DecodeString(m.ContextHex)
		if err != nil || m.Text != nil {
			t.Errorf("context_hex %q: %v; text %v", m.ContextHex, err, m.Text)
		}
		got = append(got, fmt.Sprintf("%s %d %s %s %s %d %s %s %q %q", m.Address, m.Region, m.Path, m.Perms, m.Offset,
			m.Length, m.Encoding, m.ContextAddress, ctx, m.ContextText))
	}
	want := []string{
		`0x7f000000301b 0 [heap] rw-p 0x301b 12 utf-16le 0x7f0000003018 "\x00 \x00s\x00e\x00c\x00r\x00e\x00t\x00\x90\x90\x90" ". .s.e.c.r.e.t...."`,
		`0x7f0000003ffc 0 [heap] rw-p 0x3ffc 6 ascii 0x7f0000003ff9 "\x90\x90\x90SECRET-to" "...SECRET-to"`,
		`0x7f1000002040 1 /usr/lib/libfoo.so r--p 0x2040 6 ascii 0x7f100000203d "\xcc\xcc\xccSECRET-in" "...SECRET-in"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || doc.Count != 3 || doc.MaxReached || doc.Problems == nil || len(doc.Problems) != 0 {
		t.Errorf("json:\n got %s\nwant %s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), stdout)
	}
	code, stdout, _ = runCLI("search", "--json", "--strings", "--max", "1", good)
	if code != 0 || !strings.Contains(stdout, `"text":"Hello, procsnap!"`) || !strings.Contains(stdout, `"max_reached":true`) {
		t.Errorf("--json --strings --max 1: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI("search", "--json", "--string", "absent", good)
	if code != 1 || stdout != "{\"matches\": [],\n\"count\":0,\"max_reached\":false,\"problems\":[]}\n" {
		t.Errorf("--json, nothing found: exit %d %q", code, stdout)
	}
}

func TestSearchCLIExitCodes(t *testing.T) {
	good, damaged := srchArchive(t)
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string // a part of it
	}{
		{"not-found", []string{"--string", "absent", good}, 1, ""},
		{"unreadable-not-found", []string{"--string", "unreadable secret", good}, 1, ""},
		{"no-mode", []string{good}, 2, "exactly one of"},
		{"two-modes", []string{"--string", "a", "--hex", "61", good}, 2, "exactly one of"},
		{"wide-hex", []string{"--hex", "61", "--wide", good}, 2, "--wide does not apply"},
		{"icase-strings", []string{"--strings", "-i", good}, 2, "--ignore-case does not apply"},
		{"context-strings", []string{"--strings", "--context", "3", good}, 2, "--context does not apply"},
		{"min-string", []string{"--string", "a", "--min", "3", good}, 2, "--min does not apply"},
		{"region-and-path", []string{"--string", "a", "--region", "0", "--path", "x", good}, 2, "not both"},
		{"bad-hex", []string{"--hex", "4g", good}, 2, "not a hex digit"},
		{"odd-hex", []string{"--hex", "414", good}, 2, "odd number"},
		{"bad-regex", []string{"--regex", "a(", good}, 2, "bad regular expression"},
		{"empty-regex", []string{"--regex", "a*", good}, 2, "matches the empty string"},
		{"big-context", []string{"--string", "a", "--context", "5000", good}, 2, "--context 5000"},
		{"no-region", []string{"--string", "a", "--region", "9", good}, 2, "no region 9"},
		{"no-path", []string{"--string", "a", "--path", "nothing", good}, 2, "no region's path"},
		{"no-archive", []string{"--string", "a", filepath.Join(t.TempDir(), "none")}, 2, "open archive"},
		{"two-archives", []string{"--string", "a", good, good}, 2, "want 1 argument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{"search"}, c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.stderr) || (c.stderr == "" && stderr != "") {
				t.Errorf("exit %d, want %d; stderr %q, want it to hold %q", code, c.code, stderr, c.stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q", stdout)
			}
		})
	}
	// A damaged chunk: the other matches are printed, the damage is named,
	// and the exit code says trouble.
	code, stdout, stderr := runCLI("search", "--regex", `SECRET-[a-z]+|Hello`, "--context", "0", damaged)
	if code != 2 || !strings.Contains(stdout, "+0x1a0") || !strings.Contains(stdout, "+0x2040") ||
		strings.Contains(stdout, "+0x3ffc") || !strings.Contains(stderr, "region 0 0x7f0000004000-0x7f0000008000 not searched") {
		t.Errorf("damaged chunk: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

func TestSearchCLIHelp(t *testing.T) {
	code, stdout, stderr := runCLI("search", "--help")
	if code != 0 || !strings.HasPrefix(stdout, searchUsage) || !strings.Contains(stdout, "--max-match-len") || stderr != "" {
		t.Errorf("--help: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
}

// A path from a hostile archive cannot drive the terminal.
func TestSearchCLIHostilePath(t *testing.T) {
	page := make([]byte, srchPage)
	copy(page[8:], "needle")
	path := filepath.Join(t.TempDir(), "a.psnap")
	formattest.Archive{End: format.End{Complete: true}, Regions: []formattest.Region{
		{Desc: format.RegionDesc{Start: srchHeap, Perms: "rw-p", Path: "/tmp/\x1b[2Jevil\\"}, Layout: "D", Data: page},
	}}.WriteFile(t, path)
	code, stdout, _ := runCLI("search", "--string", "needle", "--context", "0", path)
	want := "0x7f0000000008  region 0 rw-p /tmp/\\x1b[2Jevil\\\\  +0x8  6e 65 65 64 6c 65  |needle|\n"
	if code != 0 || stdout != want {
		t.Errorf("exit %d\n got %q\nwant %q", code, stdout, want)
	}
	code, stdout, _ = runCLI("search", "--json", "--string", "needle", path)
	var doc struct{ Matches []struct{ Path string } }
	if err := json.Unmarshal([]byte(stdout), &doc); code != 0 || err != nil || len(doc.Matches) != 1 || doc.Matches[0].Path != "/tmp/\x1b[2Jevil\\" {
		t.Errorf("--json: exit %d, %v: %s", code, err, stdout)
	}
}
