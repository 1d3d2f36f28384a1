package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzOfflineVerbs runs every offline verb on arbitrary archive bytes: each
// must end with an exit code, never a panic or a hang.
func FuzzOfflineVerbs(f *testing.F) {
	small := offArchive{
		meta:    sampleArchive().meta,
		threads: sampleArchive().threads[:1],
		regions: []offRegion{
			{start: 0x600000, perms: "rw-p", path: "[heap]", pages: []offPage{{kind: pgText, seed: 1}, {kind: pgZeroData},
				{kind: pgZeroFill}, {kind: pgUnreadable, errno: 5}, {kind: pgText, seed: 2}, {kind: pgNotCapt}}},
			{start: 0x7f0000000000, perms: "---p", skip: "no read permission", pages: make([]offPage, 2)},
		},
		chunk: 8 << 10,
	}
	seed := small.write(f, "")
	f.Add(seed)
	f.Add(seed[:len(seed)*2/3])
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "f.psnap")
		good := filepath.Join(dir, "good.psnap")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(good, seed, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"info", path}, {"info", "--json", path}, {"list", path}, {"list", "--json", path},
			{"verify", path}, {"verify", "--json", path},
			{"extract", "--region", "0", "-o", "-", path}, {"extract", "--path", "[heap]", "-o", "-", path},
			{"extract", "--addr", "0x600000", "--range", "0x600800-0x603000", "-o", "-", path},
			{"diff", good, path}, {"diff", "--strict", "--json", path, good},
		} {
			if code := run(t.Context(), args, discard{}, discard{}); code < 0 || code > 2 {
				t.Errorf("%v: exit %d", args, code)
			}
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
