package formattest

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
)

// base is an archive with every kind of record the mutators aim at.
func base(t *testing.T) []byte {
	return Archive{
		Options: format.WriterOptions{ChunkSize: 4 * 4096},
		Meta:    &format.Meta{PID: 1, Comm: "base"},
		Threads: []format.Thread{{TID: 1, RegSets: []format.RegSet{{Type: 1, Data: make([]byte, 216)}}}},
		Regions: []Region{{Desc: format.RegionDesc{Start: 0x10000, Perms: "rw-p", Path: "[heap]"}, Layout: "DDzZUDDDN",
			Data: bytes.Repeat([]byte("base archive "), 9*4096/13+1), Message: "cut"}},
		End: format.End{Complete: true},
	}.Bytes(t)
}

// TestModel: an archive taken apart and put back together is the same
// archive, and a damaged one still parses as records.
func TestModel(t *testing.T) {
	raw := base(t)
	m, err := ParseModel(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Bytes(true), raw) || m.PageSize != 4096 {
		t.Fatalf("Bytes(true) is not the archive (page size %d)", m.PageSize)
	}
	c := m.Clone()
	c.Body[0].Payload[0] ^= 1
	if bytes.Equal(c.Bytes(true), raw) || !bytes.Equal(m.Bytes(true), raw) {
		t.Fatal("Clone shares payloads")
	}
	if _, err := format.SplitRecords(c.Bytes(false)); err != nil {
		t.Errorf("a damaged model's records: %v", err)
	}
}

// TestMutator: the same seed gives the same mutants; every kind is made;
// crafted ones cover the zstd bombs.
func TestMutator(t *testing.T) {
	raw := base(t)
	mutants := func() []Mutant {
		fm, err := NewMutator(0, raw, rand.New(rand.NewPCG(9, 0)))
		if err != nil {
			t.Fatal(err)
		}
		out := fm.Crafted(false)
		for i := range 60 {
			out = append(out, fm.Mutate(i))
		}
		return out
	}
	a, b := mutants(), mutants()
	var names strings.Builder
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatalf("mutant %d: %s and %s differ with the same seed", i, a[i].Name, b[i].Name)
		}
		names.WriteString(a[i].Name + "\n")
	}
	for _, want := range []string{"-truncate-at-", "-flip-deep-", "-swap-", "-duplicate-", "-drop-", "-frame-length-",
		"-forge-type-", "-zstd-bomb-", "-json-", "-header-field-", "-index-", "crafted-zstd-bomb-", "crafted-first-region-"} {
		if !strings.Contains(names.String(), want) {
			t.Errorf("no mutant named *%s*:\n%s", want, names.String())
		}
	}
}
