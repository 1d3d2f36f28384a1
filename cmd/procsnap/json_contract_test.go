package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format/formattest"
)

// The JSON contract (issue 15): with --json, stdout holds exactly one JSON
// document whatever the exit code: the verb's own document, or
// {"error": {"message", "kind"}, "exit": N}, whose exit is the exit code.

// jsonFixtures writes the archives the contract cases read.
func jsonFixtures(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	full := sampleArchive().write(t, "")
	bad, span := corruptChunk(t, full, 1, 1)
	hashes := int64(formattest.RecordField(t, full, span.Offset(), "hashes").Offset) // in the chunk's header
	interrupted := sampleArchive()
	interrupted.end.Complete, interrupted.end.Reason = false, "interrupted by SIGINT"
	files := map[string][]byte{
		"good":        full,
		"changed":     changedSample().write(t, ""),
		"corrupt":     bad,
		"header":      flipAt(full, hashes+3), // a damaged chunk header
		"interrupted": interrupted.write(t, ""),
		"random":      bytes.Repeat([]byte("not an archive "), 300),
		"empty":       {},
	}
	paths := map[string]string{"missing": filepath.Join(dir, "missing.psnap")}
	for name, b := range files {
		paths[name] = filepath.Join(dir, name+".psnap")
		if err := os.WriteFile(paths[name], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

type jsonCase struct {
	name string
	args []string // $NAME is the fixture NAME
	code int
	kind string // the error document's kind; "" for the verb's own document
	sig  bool   // run with SIGINT already received
}

var jsonCases = []jsonCase{
	{"info/0", []string{"info", "--json", "$good"}, 0, "", false},
	{"info/1-random", []string{"info", "--json", "$random"}, 1, kindCorrupt, false},
	{"info/1-empty", []string{"info", "--json", "$empty"}, 1, kindCorrupt, false},
	{"info/1-missing", []string{"info", "--json", "$missing"}, 1, kindNotFound, false},
	{"info/2-args", []string{"info", "--json"}, 2, kindUsage, false},
	{"info/2-flag", []string{"info", "--json", "--bogus", "$good"}, 2, kindUsage, false},
	{"info/130", []string{"info", "--json", "$good"}, 130, kindInterrupted, true},
	{"list/0", []string{"list", "--json", "$good"}, 0, "", false},
	{"list/1-random", []string{"list", "--json", "$random"}, 1, kindCorrupt, false},
	{"list/1-empty", []string{"list", "--json", "$empty"}, 1, kindCorrupt, false},
	{"list/2-args", []string{"list", "--json", "$good", "$good"}, 2, kindUsage, false},
	{"list/2-flag", []string{"list", "--bogus", "--json", "$good"}, 2, kindUsage, false},
	{"list/130", []string{"list", "--json", "$good"}, 130, kindInterrupted, true},
	{"verify/0", []string{"verify", "--json", "$good"}, 0, "", false},
	{"verify/1-corrupt", []string{"verify", "--json", "$corrupt"}, 1, "", false},
	{"verify/1-interrupted-archive", []string{"verify", "--json", "$interrupted"}, 1, "", false},
	{"verify/1-random", []string{"verify", "--json", "$random"}, 1, kindCorrupt, false},
	{"verify/1-empty", []string{"verify", "--json", "$empty"}, 1, kindCorrupt, false},
	{"verify/2-missing", []string{"verify", "--json", "$missing"}, 2, kindNotFound, false},
	{"verify/2-args", []string{"verify", "--json"}, 2, kindUsage, false},
	{"verify/2-interrupted", []string{"verify", "--json", "$good"}, 2, kindInterrupted, true},
	{"diff/0", []string{"diff", "--json", "$good", "$good"}, 0, "", false},
	{"diff/1", []string{"diff", "--json", "$good", "$changed"}, 1, "", false},
	{"diff/2-damaged", []string{"diff", "--json", "$header", "$good"}, 2, kindCorrupt, false},
	{"diff/2-strict-damaged", []string{"diff", "--json", "--strict", "$good", "$corrupt"}, 2, kindCorrupt, false},
	{"diff/2-random", []string{"diff", "--json", "$good", "$random"}, 2, kindCorrupt, false},
	{"diff/2-args", []string{"diff", "--json", "$good"}, 2, kindUsage, false},
	{"search/0", []string{"search", "--json", "--string", "GET /index", "$good"}, 0, "", false},
	{"search/1", []string{"search", "--json", "--string", "no such text", "$good"}, 1, "", false},
	{"search/2-region", []string{"search", "--json", "--string", "GET", "--region", "99", "$good"}, 2, kindNotFound, false},
	{"search/2-path", []string{"search", "--json", "--string", "GET", "--path", "nothing", "$good"}, 2, kindNotFound, false},
	{"search/2-damaged", []string{"search", "--json", "--string", "GET", "$corrupt"}, 2, kindCorrupt, false},
	{"search/2-random", []string{"search", "--json", "--string", "GET", "$random"}, 2, kindCorrupt, false},
	{"search/2-usage", []string{"search", "--json", "$good"}, 2, kindUsage, false},
	{"search/130", []string{"search", "--json", "--string", "GET", "$good"}, 130, kindInterrupted, true},
	{"capture/2", []string{"capture", "--json", "1"}, 2, kindUsage, false},
	{"extract/2", []string{"extract", "--json", "--region", "1", "$good"}, 2, kindUsage, false},
	{"export-core/2", []string{"export-core", "--json", "$good"}, 2, kindUsage, false},
	{"unknown-verb", []string{"bogus", "--json"}, 2, kindUsage, false},
}

func TestJSONContract(t *testing.T) {
	paths := jsonFixtures(t)
	for _, c := range jsonCases {
		t.Run(c.name, func(t *testing.T) {
			args := make([]string, len(c.args))
			for i, a := range c.args {
				if name, ok := strings.CutPrefix(a, "$"); ok {
					a = paths[name]
				}
				args[i] = a
			}
			ctx := context.Background()
			if c.sig {
				ctx = sigintContext()
			}
			code, stdout, stderr := runCLIContext(ctx, args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr %q", code, c.code, stderr)
			}
			checkJSONDocument(t, []byte(stdout), code, c.kind)
		})
	}
}

// checkJSONDocument checks that out is exactly one JSON object and, for an
// error document (or a verb's document carrying an error), that its exit
// is code and its kind is kind.
func checkJSONDocument(t *testing.T, out []byte, code int, kind string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(out))
	var doc map[string]json.RawMessage
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON document:\n%s", out)
	}
	var e struct {
		Error *jsonError `json:"error"`
		Exit  *int       `json:"exit"`
	}
	if err := json.Unmarshal(out, &e); err != nil {
		t.Fatal(err)
	}
	switch {
	case kind == "" && e.Error != nil && len(doc) == 2:
		t.Errorf("an error document (%+v) where the verb's own document was expected", *e.Error)
	case kind != "" && (e.Error == nil || e.Exit == nil):
		t.Fatalf("no error object and exit in:\n%s", out)
	case kind != "" && (*e.Exit != code || e.Error.Kind != kind || e.Error.Message == ""):
		t.Errorf("error %+v, exit %d; want kind %q, exit %d", *e.Error, *e.Exit, kind, code)
	}
}
