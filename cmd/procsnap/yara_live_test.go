//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
	"github.com/procsnap/procsnap/snapshot/capture"
)

// The live yara test captures testdata/yara/marker.c, which plants markers
// of a fixed prefix and a random nonce, and runs rules for them: each is
// found once, at the address the target printed; the pair across a page
// the target never touched is not; and every hit, in every run of the
// capture, is what yara -s finds in the run extracted with procsnap
// extract, at the same offsets.
func TestYaraLive(t *testing.T) {
	needYaraProgram(t)
	p := proctest.StartC(t, "yara/marker.c")
	addrs, nonce := plantedAt(t, p.Lines)
	archive := filepath.Join(t.TempDir(), "live.psnap")
	f, err := os.Create(archive)
	srchMust(t, err)
	_, err = capture.Run(context.Background(), p.PID, f, capture.Options{ToolVersion: "test"})
	srchMust(t, err)
	srchMust(t, f.Close())
	rules := filepath.Join(t.TempDir(), "live.yar")
	srchMust(t, os.WriteFile(rules, []byte(yaraLiveRules(nonce)), 0o600))

	code, out, stderr := runCLI("yara", "--json", rules, archive)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := parseYaraDoc(t, out)
	want := []string{
		fmt.Sprintf("default:LiveHeap $a %#x 24", addrs["heap"]),
		fmt.Sprintf("default:LiveEdge $a %#x 24", addrs["edge"]),
		fmt.Sprintf("default:LiveWide $a %#x 48", addrs["wide"]),
		fmt.Sprintf("default:LiveHex $h %#x 19", addrs["hex"]),
		fmt.Sprintf("default:LiveElf $n %#x 12", addrs["elf"]+4),
	}
	if got := doc.lines(); !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("found\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var direct []string
	for _, run := range archiveRuns(t, archive) {
		direct = append(direct, yaraOnFile(t, rules, extractRange(t, archive, run[0], run[1]), run[0])...)
	}
	if !slices.Equal(sorted(direct), sorted(doc.lines())) {
		t.Errorf("yara -s on every extracted run found\n%s\nprocsnap yara\n%s", strings.Join(direct, "\n"), strings.Join(doc.lines(), "\n"))
	}
	t.Logf("%d runs; hits %q", len(archiveRuns(t, archive)), direct)
	g := yaraRegionOf(t, archive, addrs["gapa"])
	whole := extractRange(t, archive, g.Desc.Start, g.Desc.End)
	if !slices.ContainsFunc(yaraOnFile(t, rules, whole, g.Desc.Start), func(l string) bool { return strings.HasPrefix(l, "default:LiveGap ") }) {
		t.Error("yara on the whole extracted region does not match the gap pair: the test proves nothing")
	}
}

// yaraLiveRules are the rules for the target's markers.
func yaraLiveRules(nonce string) string {
	hexOf := func(s string) string {
		var b strings.Builder
		for _, c := range []byte(s) {
			fmt.Fprintf(&b, "%02x ", c)
		}
		return b.String()
	}
	return fmt.Sprintf(`rule LiveHeap { strings: $a = "PSLIVE-HEAP-%[1]s" condition: $a }
rule LiveEdge { strings: $a = "pslive-edge-%[1]s" nocase condition: $a }
rule LiveWide { strings: $a = "PSLIVE-WIDE-%[1]s" wide condition: $a }
rule LiveHex { strings: $h = { DE AD ?? EF [3] %[2]s } condition: $h }
rule LiveGap { strings: $g = { %[3]s [0-8192] %[4]s } condition: $g }
rule LiveElf { strings: $n = "%[1]s" condition: uint32(0) == 0x464c457f and $n at 4 }
`, nonce, hexOf(nonce), hexOf("PSLIVE-GAPA-"+nonce), hexOf("PSLIVE-GAPB-"+nonce))
}

// archiveRuns are the archive's runs of data pages, as yarascan cuts them.
func archiveRuns(t *testing.T, archive string) [][2]uint64 {
	t.Helper()
	r, err := format.Open(archive)
	srchMust(t, err)
	defer r.Close()
	var out [][2]uint64
	for _, g := range r.Regions() {
		open := false
		srchMust(t, r.ReadRange(g, g.Desc.Start, g.Desc.End, func(run format.Run) error {
			switch {
			case run.State != format.PageData:
				open = false
			case open && out[len(out)-1][1] == run.Start:
				out[len(out)-1][1] = run.End
			default:
				out, open = append(out, [2]uint64{run.Start, run.End}), true
			}
			return nil
		}))
	}
	return out
}

func yaraRegionOf(t *testing.T, archive string, addr uint64) *format.Region {
	t.Helper()
	r, err := format.Open(archive)
	srchMust(t, err)
	defer r.Close()
	g := r.Find(addr)
	if g == nil {
		t.Fatalf("no region holds %#x", addr)
	}
	return g
}
