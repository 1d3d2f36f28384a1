//go:build linux

package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/procsnap/procsnap/internal/proctest"
	"github.com/procsnap/procsnap/snapshot/capture"
)

// The live search test captures this test binary re-executed as
// TestHelperSearchTarget. The target plants strings made of a fixed prefix
// and a random nonce: one in its Go heap, and in a page-aligned mapping
// (between two PROT_NONE guard pages) one inside a page, one across a page
// boundary and one in UTF-16LE at an odd address. It writes them byte by
// byte, so that no other copy exists in its memory, and prints the nonce in
// hex (not the string itself) and each string's address, then waits for
// stdin to close.

const srchTargetEnv = "PROCSNAP_SEARCH_TARGET"

// srchPlants are the planted strings: name, prefix, offset in the mapping
// (-1: the heap) and whether it is UTF-16LE.
var srchPlants = []struct {
	name, prefix string
	offset       int
	wide         bool
}{
	{"heap", "PSLIVE-HEAP-", -1, false},
	{"mmap", "PSLIVE-MMAP-", 0x123, false},
	{"edge", "PSLIVE-EDGE-", 4096 - 7, false},
	{"wide", "PSLIVE-WIDE-", 2*4096 + 1, true},
}

var srchHeapKeep []byte // the target's heap buffer, kept alive

func TestHelperSearchTarget(t *testing.T) {
	if os.Getenv(srchTargetEnv) != "1" {
		t.Skip("not a test: the target process of the live search test")
	}
	ps := os.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 6*ps, syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		fmt.Println("mmap:", err)
		os.Exit(1)
	}
	buf := mem[ps : 5*ps]
	if err := syscall.Mprotect(buf, syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
		fmt.Println("mprotect:", err)
		os.Exit(1)
	}
	var nonce [12]byte
	rand.Read(nonce[:])
	for i := range nonce {
		nonce[i] = 'A' + nonce[i]%26
	}
	srchHeapKeep = make([]byte, 256)
	for _, p := range srchPlants {
		dst, at := buf, p.offset
		if at < 0 {
			dst, at = srchHeapKeep, 17
		}
		n := srchPlant(dst[at:], p.prefix, nonce[:], p.wide)
		fmt.Printf("%s %x %d\n", p.name, uintptr(unsafe.Pointer(&dst[at])), n)
	}
	fmt.Printf("nonce %x\n", nonce)
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n') // until stdin closes
	runtime.KeepAlive(mem)
	os.Exit(0)
}

// srchPlant writes prefix+nonce into dst one byte at a time (UTF-16LE when
// wide) and returns the bytes written.
func srchPlant(dst []byte, prefix string, nonce []byte, wide bool) int {
	n := 0
	put := func(c byte) {
		dst[n] = c
		n++
		if wide {
			dst[n] = 0
			n++
		}
	}
	for i := 0; i < len(prefix); i++ {
		put(prefix[i])
	}
	for _, c := range nonce {
		put(c)
	}
	return n
}

// TestSearchLive captures the target and searches the archive for each
// planted string: each is found once, at the address the target printed.
func TestSearchLive(t *testing.T) {
	pid, addrs, nonce := srchStartTarget(t)
	archive := filepath.Join(t.TempDir(), "live.psnap")
	f, err := os.Create(archive)
	srchMust(t, err)
	_, err = capture.Run(context.Background(), pid, f, capture.Options{ToolVersion: "test"})
	srchMust(t, err)
	srchMust(t, f.Close())
	for _, p := range srchPlants {
		text := p.prefix + nonce
		args := []string{"--json", "--string", text, archive}
		if p.wide {
			args = append([]string{"--wide"}, args...)
		}
		code, stdout, stderr := runCLI(append([]string{"search"}, args...)...)
		want := []string{hexAddr(addrs[p.name])}
		if got := srchJSONAddrs(t, stdout); code != 0 || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s %q: exit %d, found at %v, want %v\n%s", p.name, text, code, got, want, stderr)
		}
	}
	code, stdout, _ := runCLI("search", "--strings", "--wide", "--min", "24", archive)
	for _, p := range srchPlants {
		enc := "ascii"
		if p.wide {
			enc = "utf-16le"
		}
		line := fmt.Sprintf(`(?m)^%s  region \d+ .*  \+0x[0-9a-f]+  %s  %s%s$`, hexAddr(addrs[p.name]), enc, p.prefix, nonce)
		if code != 0 || !regexp.MustCompile(line).MatchString(stdout) {
			t.Errorf("--strings: exit %d, no line matching %s", code, line)
		}
	}
}

// srchStartTarget starts the target and reads its pid, the addresses it
// printed and its nonce.
func srchStartTarget(t *testing.T) (int, map[string]uint64, string) {
	t.Helper()
	p := proctest.StartReady(t, proctest.Self("TestHelperSearchTarget", srchTargetEnv+"=1"))
	addrs, nonce := plantedAt(t, p.Lines)
	return p.PID, addrs, nonce
}

// plantedAt reads what a live target of the search and yara tests printed
// before its ready line: "NAME ADDR [LEN]" for each string it planted, ADDR
// in hex, and "nonce HEX".
func plantedAt(t *testing.T, lines []string) (map[string]uint64, string) {
	t.Helper()
	addrs := map[string]uint64{}
	var nonce string
	for _, line := range lines[:len(lines)-1] {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "nonce":
			b, err := hex.DecodeString(f[1])
			srchMust(t, err)
			nonce = string(b)
		case len(f) == 2 || len(f) == 3:
			a, err := strconv.ParseUint(strings.TrimPrefix(f[1], "0x"), 16, 64)
			srchMust(t, err)
			addrs[f[0]] = a
		default:
			t.Fatalf("the target said %q", line)
		}
	}
	return addrs, nonce
}

func srchJSONAddrs(t *testing.T, out string) []string {
	t.Helper()
	var doc struct {
		Matches []struct{ Address string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var got []string
	for _, m := range doc.Matches {
		got = append(got, m.Address)
	}
	return got
}
