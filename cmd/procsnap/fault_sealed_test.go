package main

// Hostile encrypted archives (issue 20), as the fault suite runs hostile
// archives: each as a separate procsnap process under rss.c, through
// verify, info, list, extract and search. age headers that are garbage,
// too large or hold too many recipients, ciphertexts cut short and with
// flipped bytes, the wrong identity: no panic, no hang, a message for every
// failure, and a peak RSS under 256 MiB.

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFaultSealed(t *testing.T) {
	tools := buildFaultTools(t, false)
	k := newSealKeys(t)
	_, _, plain := writeSample(t)
	dir := t.TempDir()
	good := encrypt(t, plain, filepath.Join(dir, "good.psnap"), k.recips...)
	variants := sealedMutants(good)
	var peak int64
	for name, b := range variants {
		path := filepath.Join(dir, name+".psnap")
		os.WriteFile(path, b, 0o600)
		for _, args := range [][]string{{"verify"}, {"info"}, {"list", "--json"}, {"extract", "--region", "1", "-o", "-"}, {"search", "--string", "heap"}} {
			id := k.ageID
			if name == "wrong-identity" {
				id = k.other
			}
			full := append(append(append([]string{}, args...), "--identity", id), path)
			p := faultMeasured(tools, dir, full...)
			p.cmd.Stdout = new(bytes.Buffer) // extract -o - writes here
			p.begin(t)
			r := p.wait(30 * time.Second)
			peak = max(peak, r.maxRSSKB)
			switch {
			case r.hung || r.signal != 0 || strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine "):
				t.Errorf("%s %v: %s", name, args, r)
			case r.code != 0 && strings.TrimSpace(r.stderr) == "" && args[0] != "verify":
				t.Errorf("%s %v: exit %d without a message", name, args, r.code)
			case r.maxRSSKB > 256<<10:
				t.Errorf("%s %v: peak RSS %d MiB, above 256 MiB", name, args, r.maxRSSKB>>10)
			}
		}
	}
	t.Logf("%d hostile encrypted archives through 5 verbs: highest peak RSS %d MiB", len(variants), peak>>10)
}

// sealedMutants derives hostile encrypted archives from good.
func sealedMutants(good []byte) map[string][]byte {
	intro := []byte("age-encryption.org/v1\n")
	hdrEnd := bytes.Index(good, []byte("\n--- ")) + 1
	stanza := func(n int) []byte {
		var b bytes.Buffer
		b.Write(intro)
		for range n {
			arg := make([]byte, 32)
			rand.Read(arg)
			fmt.Fprintf(&b, "-> X25519 %s\n%s\n", base64.RawStdEncoding.EncodeToString(arg), base64.RawStdEncoding.EncodeToString(arg))
		}
		return append(b.Bytes(), good[hdrEnd:]...)
	}
	m := map[string][]byte{
		"wrong-identity":   good,
		"intro-only":       intro,
		"huge-line":        append(append(append([]byte{}, intro...), bytes.Repeat([]byte("A"), 3<<20)...), '\n'),
		"1024-stanzas":     stanza(1024),
		"2000-stanzas":     stanza(2000),
		"long-body-line":   append(append(append([]byte{}, intro...), "-> X25519 a\n"...), bytes.Repeat([]byte("Q"), 1<<20)...),
		"bad-mac":          bytes.Replace(good, []byte("\n--- "), []byte("\n--- Z"), 1)[:len(good)],
		"header-then-junk": append(append([]byte{}, good[:hdrEnd+40]...), bytes.Repeat([]byte{0xff}, 1<<20)...),
		"empty":            {},
	}
	for i := range 8 {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(good))))
		m[fmt.Sprintf("cut-%d", i)] = good[:n.Int64()]
		f, _ := rand.Int(rand.Reader, big.NewInt(int64(len(good))))
		m[fmt.Sprintf("flip-%d", i)] = flip(good, int(f.Int64()))
	}
	return m
}
