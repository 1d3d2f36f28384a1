package sshsig

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/procsnap/procsnap/internal/proctest"
	"golang.org/x/crypto/ssh"
)

// keygen makes an ed25519 key pair with ssh-keygen and returns the private
// key file and the signer.
func keygen(t *testing.T, dir string) (string, ssh.Signer) {
	t.Helper()
	proctest.NeedProgram(t, "ssh-keygen", "openssh-client")
	key := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "examiner@lab", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pem, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	return key, signer
}

// allowed writes an allowed_signers file for ssh-keygen -Y verify.
func allowed(t *testing.T, dir string, pub ssh.PublicKey) string {
	t.Helper()
	p := filepath.Join(dir, "allowed_signers")
	line := "examiner@lab namespaces=\"procsnap\" " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + "\n"
	if err := os.WriteFile(p, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInteropSshKeygen: ssh-keygen -Y verify accepts what Sign makes, and
// Parse and Verify accept what ssh-keygen -Y sign makes.
func TestInteropSshKeygen(t *testing.T) {
	dir := t.TempDir()
	key, signer := keygen(t, dir)
	msg := []byte("{\"type\": \"procsnap-provenance/1\"}\n")
	msgFile := filepath.Join(dir, "statement.json")
	os.WriteFile(msgFile, msg, 0o600)
	sig, err := Sign(signer, "procsnap", msg)
	if err != nil {
		t.Fatal(err)
	}
	sigFile := filepath.Join(dir, "ours.sig")
	os.WriteFile(sigFile, sig, 0o600)
	cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", allowed(t, dir, signer.PublicKey()), "-I", "examiner@lab", "-n", "procsnap", "-s", sigFile)
	cmd.Stdin = bytes.NewReader(msg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y verify of our signature: %v\n%s", err, out)
	}
	if out, err := exec.Command("ssh-keygen", "-Y", "sign", "-q", "-f", key, "-n", "procsnap", msgFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
	}
	theirs, _ := os.ReadFile(msgFile + ".sig")
	s, err := Parse(theirs)
	if err != nil {
		t.Fatalf("Parse(ssh-keygen's signature): %v", err)
	}
	if err := s.Verify("procsnap", msg); err != nil {
		t.Errorf("Verify(ssh-keygen's signature): %v", err)
	}
	if !bytes.Equal(s.PublicKey.Marshal(), signer.PublicKey().Marshal()) {
		t.Errorf("the signature names another key")
	}
}

func TestVerifyRefuses(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	msg := []byte("statement")
	sig, err := Sign(signer, "procsnap", msg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify("procsnap", []byte("statemenT")); err == nil {
		t.Error("a changed message verifies")
	}
	if err := s.Verify("file", msg); err == nil {
		t.Error("another namespace verifies")
	}
	s.Sig.Blob[3] ^= 1
	if err := s.Verify("procsnap", msg); err == nil {
		t.Error("a changed signature verifies")
	}
	for _, bad := range [][]byte{nil, []byte("x"), sig[:len(sig)/2], append(append([]byte{}, sig...), "trailing"...),
		bytes.Replace(sig, []byte("SSH SIGNATURE-----\n"), []byte("SSH SIGNATURE-----\n!!"), 1),
		bytes.Repeat([]byte("A"), MaxArmored+1)} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%.40q) accepted it", bad)
		}
	}
}

// FuzzParse: Parse never panics, and what it accepts re-verifies without
// panicking.
func FuzzParse(f *testing.F) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	sig, _ := Sign(signer, "procsnap", []byte("m"))
	f.Add(sig)
	blob, _ := dearmor(sig)
	f.Add(armor(blob[:len(blob)-10]))
	f.Add([]byte(armorBegin + "\n" + armorEnd + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err == nil {
			_ = s.Verify("procsnap", []byte("m"))
		}
		if blob, err := dearmor(b); err == nil {
			_, _ = Parse(armor(blob))
		}
	})
}
