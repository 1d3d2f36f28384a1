package elfcore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/format/formattest"
	"github.com/procsnap/procsnap/internal/proctest"
)

const tps = 4096

// testArchive describes a synthetic archive; its regions' data pages are
// filled with random bytes when it is built.
type testArchive struct {
	meta    format.Meta
	auxv    []byte
	threads []format.Thread
	regions []formattest.Region
	// unordered: regions may overlap or go out of address order, as only
	// a hostile archive has them (format.WriterOptions.Unordered).
	unordered bool
}

// mem is the expected memory of an archive: by region start, the region's
// bytes (zeros but on its D pages).
type mem map[uint64][]byte

func x86Meta() format.Meta {
	return format.Meta{PID: 100, PPID: 1, Comm: "target", Cmdline: []string{"/bin/target", "-x", "arg with space"},
		Exe: "/bin/target", UIDs: [4]int{1000, 1000, 1000, 1000}, GIDs: [4]int{100, 100, 100, 100},
		Host: format.Host{Machine: "x86_64", PageSize: tps}}
}

// regs returns a recognisable register set of n bytes.
func regs(seed byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return b
}

func thread(tid int, withFP bool) format.Thread {
	t := format.Thread{TID: tid, RegSets: []format.RegSet{{Type: ntPrstatus, Data: regs(byte(tid), userRegsSize)}}}
	if withFP {
		t.RegSets = append(t.RegSets, format.RegSet{Type: ntPrfpreg, Data: regs(byte(tid)+1, fpregsSize)},
			format.RegSet{Type: ntX86Xstate, Data: xsaveSet(byte(tid)+2, 1088, 0x1f)})
	}
	return t
}

// xsaveSet returns a recognisable n-byte NT_X86_XSTATE with XCR0 and
// XSTATE_BV xcr0, in the standard format (XCOMP_BV 0). With no recorded
// layout, a set whose size is gdb's for its XCR0 (1088 for x87, SSE, AVX
// and MPX) is exported as it is.
func xsaveSet(seed byte, n int, xcr0 uint64) []byte {
	b := regs(seed, n)
	le.PutUint64(b[xsaveXCR0Off:], xcr0)
	le.PutUint64(b[xsaveBVOff:], xcr0)
	le.PutUint64(b[xsaveCompOff:], 0)
	return b
}

// build writes the archive and returns its bytes and expected memory.
func (a testArchive) build(t testing.TB) ([]byte, mem) {
	t.Helper()
	want := mem{}
	rng := rand.New(rand.NewPCG(1, 2))
	regions := slices.Clone(a.regions)
	for i, g := range regions {
		if g.Desc.Skip != "" || !strings.Contains(g.Layout, "D") {
			continue
		}
		g.Data = make([]byte, len(g.Layout)*tps)
		for p := range g.Layout {
			if g.Layout[p] == 'D' {
				for k := p * tps; k < (p+1)*tps; k++ {
					g.Data[k] = byte(rng.Uint32())
				}
			}
		}
		regions[i], want[g.Desc.Start] = g, g.Data
	}
	b := formattest.Archive{Options: format.WriterOptions{ChunkSize: 4 * tps, Workers: 1, Unordered: a.unordered}, Meta: &a.meta,
		Auxv: a.auxv, Threads: a.threads, Regions: regions, End: format.End{Complete: true}}.Bytes(t)
	return b, want
}

// exportFile exports the archive to a core file in a temp dir.
func exportFile(t testing.TB, r *format.Reader) (string, Summary) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "core")
	var buf bytes.Buffer
	sum, err := Export(context.Background(), &buf, r)
	if err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != sum.Size {
		t.Fatalf("wrote %d bytes, summary says %d", buf.Len(), sum.Size)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, sum
}

// parsedCore is a core file read with encoding/binary, PN_XNUM included
// (debug/elf does not follow PN_XNUM).
type parsedCore struct {
	raw   []byte
	phnum uint64
	xnum  bool
	phdrs []progHeader
	notes []parsedNote
}

type parsedNote struct {
	name string
	typ  uint32
	desc []byte
}

func parseCore(t testing.TB, raw []byte) *parsedCore {
	t.Helper()
	if len(raw) < ehdrSize || string(raw[:4]) != elfMagic {
		t.Fatalf("not an ELF file")
	}
	c := &parsedCore{raw: raw}
	phoff := binary.LittleEndian.Uint64(raw[32:])
	c.phnum = uint64(binary.LittleEndian.Uint16(raw[56:]))
	if c.phnum == pnXNum {
		c.xnum = true
		shoff := binary.LittleEndian.Uint64(raw[40:])
		c.phnum = uint64(binary.LittleEndian.Uint32(raw[shoff+44:])) // sh_info
	}
	for i := range c.phnum {
		p := raw[phoff+i*phdrSize:]
		c.phdrs = append(c.phdrs, progHeader{Type: le.Uint32(p), Flags: le.Uint32(p[4:]), Offset: le.Uint64(p[8:]),
			Vaddr: le.Uint64(p[16:]), Paddr: le.Uint64(p[24:]), Filesz: le.Uint64(p[32:]), Memsz: le.Uint64(p[40:]), Align: le.Uint64(p[48:])})
	}
	for _, ph := range c.phdrs {
		if ph.Type == ptNote {
			c.notes = parseNotes(t, raw[ph.Offset:ph.Offset+ph.Filesz])
		}
	}
	return c
}

func parseNotes(t testing.TB, b []byte) []parsedNote {
	t.Helper()
	var out []parsedNote
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("note area ends in %d stray bytes", len(b))
		}
		nsz, dsz, typ := le.Uint32(b), le.Uint32(b[4:]), le.Uint32(b[8:])
		name := strings.TrimRight(string(b[12:12+nsz]), "\x00")
		off := 12 + alignUp(uint64(nsz), 4)
		out = append(out, parsedNote{name: name, typ: typ, desc: b[off : off+uint64(dsz)]})
		b = b[off+alignUp(uint64(dsz), 4):]
	}
	return out
}

func (c *parsedCore) loads() []progHeader {
	var out []progHeader
	for _, p := range c.phdrs {
		if p.Type == ptLoad {
			out = append(out, p)
		}
	}
	return out
}

// readelf runs `readelf -W -n -l` and fails on anything on stderr. A
// missing readelf is proctest.Unavailable.
func readelf(t *testing.T, path string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(proctest.NeedProgram(t, "readelf", "binutils"), "-W", "-n", "-l", path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("readelf: %v\n%s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("readelf wrote to stderr:\n%s", stderr.String())
	}
	return stdout.String()
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gdbCore runs gdb in batch mode on a core alone and returns its stdout. A
// missing gdb is proctest.Unavailable.
func gdbCore(t *testing.T, core string, cmds ...string) string {
	t.Helper()
	gdb := proctest.NeedProgram(t, "gdb", "gdb")
	args := []string{"-batch", "-nx", "-iex", "set debuginfod enabled off"}
	for _, c := range cmds {
		args = append(args, "-ex", c)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(gdb, append(args, "-c", core)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gdb: %v\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "not in executable format") || strings.Contains(stderr.String(), "not a core dump") {
		t.Fatalf("gdb does not take the core:\n%s", stderr.String())
	}
	// corelow.c: a register note of a size other than gdb's is ignored
	// (too small) or suspicious (unexpected size).
	for _, bad := range []string{"in core file too small", "Unexpected size of section"} {
		if strings.Contains(stderr.String(), bad) {
			t.Errorf("gdb warns %q:\n%s", bad, stderr.String())
		}
	}
	return stdout.String()
}

// gdbWord is how gdb's x/gx prints the 8 bytes at addr of b.
func gdbWord(addr uint64, b []byte) string {
	return fmt.Sprintf("%#x:\t0x%016x", addr, binary.LittleEndian.Uint64(b))
}
