package main

// Signatures (issue 20): verify --pubkey against statements signed here,
// ssh-keygen -Y verify on the documented split, and every way a signature
// fails: another key, another archive, a changed statement, a cut or
// forged signature, none at all.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
	"golang.org/x/crypto/ssh"
)

// signFile writes path.sig for the archive bytes b (written as they are,
// or encrypted around plain).
func signFile(t *testing.T, signer ssh.Signer, path string, b []byte, plain []byte) []byte {
	t.Helper()
	sum := sha256.Sum256(b)
	a := provArchive{Name: filepath.Base(path), Bytes: int64(len(b)), SHA256: hex.EncodeToString(sum[:]), Encrypted: plain != nil}
	var p *provPlaintext
	if plain != nil {
		ps := sha256.Sum256(plain)
		p = &provPlaintext{Bytes: int64(len(plain)), SHA256: hex.EncodeToString(ps[:])}
	}
	m := &format.Meta{PID: 42, Comm: "demo", Case: "C-1", EvidenceID: "E-2", Examiner: "alice", Note: "n"}
	sig, err := signStatement(newProvenance(m, time.Now(), true, "", a, p, signer.PublicKey()), signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".sig", sig, 0o600); err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestSignatureVerify(t *testing.T) {
	k := newSealKeys(t)
	path, _, plain := writeSample(t)
	sig := signFile(t, k.signer, path, plain, nil)
	pubLine, _ := os.ReadFile(k.sshPub)
	for _, pub := range []string{k.sshPub, strings.TrimSpace(string(pubLine))} {
		code, out, stderr := runCLI("verify", "--pubkey", pub, path)
		if code != 0 || !strings.Contains(out, "signature: good") || !strings.Contains(out, `case "C-1", evidence id "E-2", examiner "alice"`) {
			t.Errorf("verify --pubkey %.30s: exit %d\n%s%s", pub, code, out, stderr)
		}
	}
	other := filepath.Join(t.TempDir(), "other.psnap")
	otherBytes := append([]byte{}, plain...)
	os.WriteFile(other, otherBytes[:len(otherBytes)], 0o600)
	_, otherPub, otherSigner := sshKeyPair(t, t.TempDir(), "intruder")
	forged := signFile(t, otherSigner, filepath.Join(t.TempDir(), "f.psnap"), plain, nil)
	forgedSameSigner := bytes.Replace(forged, []byte(authorizedKey(otherSigner.PublicKey())), []byte(authorizedKey(k.signer.PublicKey())), 1)
	body := sig[:bytes.Index(sig, []byte(sigBegin))]
	cases := []struct {
		name, sig, pub string
		says           string
	}{
		{"another key", string(sig), otherPub, "not by the --pubkey given"},
		{"changed statement", strings.Replace(string(sig), `"examiner": "alice"`, `"examiner": "mallory"`, 1), k.sshPub, "does not cover the statement"},
		{"cut signature", string(sig[:len(sig)-40]), k.sshPub, "END SSH SIGNATURE"},
		{"statement only", string(body), k.sshPub, "no SSH signature"},
		{"forged signer field", string(forgedSameSigner), k.sshPub, "does not cover the statement"},
		{"forged by another key", string(forged), k.sshPub, "not by the --pubkey given"},
		{"garbage", "\x00\xff garbage", k.sshPub, "no SSH signature"},
		{"huge", strings.Repeat("{", maxSigFile+1), k.sshPub, "above the limit"},
	}
	for _, tc := range cases {
		sigPath := filepath.Join(t.TempDir(), "x.sig")
		os.WriteFile(sigPath, []byte(tc.sig), 0o600)
		code, out, stderr := runCLI("verify", "--pubkey", tc.pub, "--signature", sigPath, path)
		if code != 1 || !strings.Contains(out, tc.says) {
			t.Errorf("%s: exit %d, want 1 saying %q:\n%s%s", tc.name, code, tc.says, out, stderr)
		}
	}
	flipped := flip(plain, len(plain)/2)
	os.WriteFile(other, flipped, 0o600)
	code, out, _ := runCLI("verify", "--json", "--pubkey", k.sshPub, "--signature", path+".sig", other)
	if code != 1 || !strings.Contains(out, "the signature is for another archive, or this one was changed") {
		t.Errorf("a changed archive: exit %d, want 1 naming the signed digest:\n%s", code, out)
	}
	code, out, _ = runCLI("verify", "--pubkey", k.sshPub, filepath.Join(t.TempDir(), "none.psnap"))
	if code != 2 {
		t.Errorf("verify of a missing archive with --pubkey: exit %d, want 2\n%s", code, out)
	}
	os.Remove(path + ".sig")
	if code, out, _ := runCLI("verify", "--pubkey", k.sshPub, path); code != 1 || !strings.Contains(out, "no signature") {
		t.Errorf("no signature file: exit %d, want 1:\n%s", code, out)
	}
}

// TestSignatureSealed: the signature of an encrypted archive checks the
// encrypted file (with its identity) and its decrypted copy.
func TestSignatureSealed(t *testing.T) {
	k := newSealKeys(t)
	_, _, plain := writeSample(t)
	dir := t.TempDir()
	sealed := filepath.Join(dir, "s.psnap")
	ct := encrypt(t, plain, sealed, k.recips...)
	signFile(t, k.signer, sealed, ct, plain)
	code, out, stderr := runCLI("verify", "--identity", k.ageID, "--pubkey", k.sshPub, sealed)
	if code != 0 || !strings.Contains(out, "signature: good") {
		t.Errorf("verify of the encrypted archive: exit %d\n%s%s", code, out, stderr)
	}
	dec := filepath.Join(dir, "plain.psnap")
	os.WriteFile(dec, plain, 0o600)
	code, out, stderr = runCLI("verify", "--pubkey", k.sshPub, "--signature", sealed+".sig", dec)
	if code != 0 || !strings.Contains(out, "the decrypted copy") {
		t.Errorf("verify of the decrypted copy: exit %d\n%s%s", code, out, stderr)
	}
	os.WriteFile(sealed, flip(ct, len(ct)-5), 0o600)
	code, out, _ = runCLI("verify", "--identity", k.ageID, "--pubkey", k.sshPub, sealed)
	if code != 1 {
		t.Errorf("verify of changed ciphertext: exit %d, want 1\n%s", code, out)
	}
}

// TestSignatureSshKeygen: ssh-keygen -Y verify checks a signature file
// split as docs/FORMAT.md says.
func TestSignatureSshKeygen(t *testing.T) {
	proctest.NeedProgram(t, "ssh-keygen", "openssh-client")
	k := newSealKeys(t)
	path, _, plain := writeSample(t)
	signFile(t, k.signer, path, plain, nil)
	allowed := filepath.Join(k.dir, "allowed_signers")
	os.WriteFile(allowed, []byte("examiner@lab "+authorizedKey(k.signer.PublicKey())+"\n"), 0o600)
	script := `set -e; sig="$1.sig"
sed '/^-----BEGIN SSH SIGNATURE-----$/,$d' "$sig" > statement.json
sed -n '/^-----BEGIN SSH SIGNATURE-----$/,$p' "$sig" > statement.json.sig
ssh-keygen -Y verify -f "$2" -I examiner@lab -n procsnap -s statement.json.sig < statement.json
grep -q "$(sha256sum "$1" | cut -d' ' -f1)" statement.json`
	cmd := exec.Command("sh", "-c", script, "sh", path, allowed)
	cmd.Dir = t.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Good \"procsnap\" signature") {
		t.Errorf("ssh-keygen -Y verify: %v\n%s", err, out)
	}
}

// FuzzSigFile: a signature file is hostile input: parseSigFile never
// panics and accepts nothing it did not check.
func FuzzSigFile(f *testing.F) {
	signer := testSigner(f)
	st := newProvenance(&format.Meta{PID: 1}, time.Now(), true, "", provArchive{Name: "a", SHA256: strings.Repeat("ab", 32)}, nil, signer.PublicKey())
	good, _ := signStatement(st, signer)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("{}\n" + sigBegin + "\n-----END SSH SIGNATURE-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ss, err := parseSigFile(b)
		if err != nil {
			return
		}
		if ss.st == nil || ss.key == nil {
			t.Fatal("accepted without a statement or a key")
		}
		_, _ = matchDigests(ss.st, archiveDigests{sha256: strings.Repeat("0", 64)})
	})
}

// testSigner is a fresh ed25519 signer.
func testSigner(tb testing.TB) ssh.Signer {
	tb.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
