package main

// Sealed evidence on a live target (issue 20): capture --recipient --sign
// with the case fields, to a file and through a pipe into verify -. The
// target holds a random marker in its environment and on its stack: no
// byte of it, nor of the procsnap signature, may reach the output.

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/internal/proctest"
)

// sealTarget starts a process whose environment holds a random marker.
func sealTarget(t *testing.T) (int, string) {
	t.Helper()
	b := make([]byte, 16)
	rand.Read(b)
	mark := "PROCSNAP_MARK_" + hex.EncodeToString(b)
	cmd := exec.Command("sleep", "600")
	cmd.Env = append(os.Environ(), "MARK="+mark)
	return proctest.Start(t, cmd).PID, mark
}

func TestSealedLive(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("capture needs linux and root")
	}
	bin := proctest.Procsnap(t)
	k := newSealKeys(t)
	pid, mark := sealTarget(t)
	pubLine, _ := os.ReadFile(k.sshPub)
	dir := t.TempDir()
	out := filepath.Join(dir, "web.psnap")
	cmd := exec.Command(bin, "capture", "--no-progress", "-o", out, "--recipient", strings.TrimSpace(string(pubLine)),
		"--recipients-file", ageRecipientsFile(t, k), "--sign", k.sshID, "--case", "CASE-7", "--evidence-id", "EV-1",
		"--examiner", "alice", "--note", "seized", strconv.Itoa(pid))
	stderr, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("capture: %v\n%s", err, stderr)
	}
	ct, _ := os.ReadFile(out)
	if bytes.Contains(ct, []byte(mark)) || bytes.Contains(ct, []byte(format.Signature)) || !bytes.HasPrefix(ct, []byte("age-encryption.org/v1\n")) {
		t.Fatal("the archive file holds plaintext: the marker or the procsnap signature, or it is not an age file")
	}
	if got, want := captSHA256Line(t, string(stderr), out), sha256sum(t, out); got != want {
		t.Errorf("summary says %s, sha256sum of the encrypted file says %s", got, want)
	}
	check := exec.Command("sha256sum", "-c", "web.psnap.sha256")
	check.Dir = dir
	if b, err := check.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c web.psnap.sha256: %v\n%s", err, b)
	}
	for _, f := range []string{out + ".sha256", out + ".sig"} {
		if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v, want 0600", f, err, st)
		}
	}
	sealedLiveRead(t, bin, k, out, mark)
	sealedLiveAge(t, bin, k, out, mark)
}

func ageRecipientsFile(t *testing.T, k *sealKeys) string {
	t.Helper()
	b, _ := os.ReadFile(k.ageID)
	var recip string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "AGE-SECRET-KEY-") {
			id, err := age.ParseX25519Identity(strings.TrimSpace(line))
			if err != nil {
				t.Fatal(err)
			}
			recip = id.Recipient().String()
		}
	}
	p := filepath.Join(t.TempDir(), "recipients.txt")
	os.WriteFile(p, []byte("# the lab\n\n"+recip+"\n"), 0o600)
	return p
}

// sealedLiveRead: unreadable without the identity, verified with it and
// the public key, case fields shown by info.
func sealedLiveRead(t *testing.T, bin string, k *sealKeys, out, mark string) {
	run := func(args ...string) (int, string) {
		c := exec.Command(bin, args...)
		b, _ := c.CombinedOutput()
		return c.ProcessState.ExitCode(), string(b)
	}
	if code, s := run("verify", out); code != 2 || !strings.Contains(s, "give --identity") {
		t.Errorf("verify without --identity: exit %d, want 2 asking for it:\n%s", code, s)
	}
	if code, s := run("info", out); code != 1 || !strings.Contains(s, "encrypted with age") {
		t.Errorf("info without --identity: exit %d, want 1:\n%s", code, s)
	}
	if code, s := run("verify", "--identity", k.other, out); code != 2 || !strings.Contains(s, "no --identity given matches") {
		t.Errorf("verify with the wrong identity: exit %d, want 2:\n%s", code, s)
	}
	if code, s := run("verify", "--identity", k.sshID, "--pubkey", k.sshPub, out); code != 0 || !strings.Contains(s, "signature: good") || !strings.Contains(s, `case "CASE-7"`) {
		t.Errorf("verify --identity --pubkey: exit %d:\n%s", code, s)
	}
	code, s := run("info", "--identity", k.ageID, out)
	for _, want := range []string{"case            CASE-7", "evidence id     EV-1", "examiner        alice", "note            seized"} {
		if code != 0 || !strings.Contains(s, want) {
			t.Errorf("info: exit %d, want a line %q:\n%s", code, want, s)
		}
	}
	_, s = run("info", "--json", "--identity", k.ageID, out)
	var info struct{ Case, EvidenceID, Examiner string }
	json.Unmarshal([]byte(s), &info)
	if info.Case != "CASE-7" || info.Examiner != "alice" {
		t.Errorf("info --json: case fields %+v", info)
	}
	if code, s := run("search", "--identity", k.sshID, "--string", mark, out); code != 0 {
		t.Errorf("search of the decrypted archive for the marker: exit %d:\n%s", code, s)
	}
	ct, _ := os.ReadFile(out)
	bad := filepath.Join(filepath.Dir(out), "tampered.psnap")
	os.WriteFile(bad, flip(ct, len(ct)/2), 0o600)
	if code, s := run("verify", "--identity", k.ageID, "--pubkey", k.sshPub, "--signature", out+".sig", bad); code != 1 || !strings.Contains(s, "does not decrypt") {
		t.Errorf("verify of tampered ciphertext: exit %d, want 1 (age's MAC):\n%s", code, s)
	}
}

// sealedLiveAge: age -d decrypts it (when age is installed) to the archive
// whose digest the signature names; capture -o - --recipient | verify
// --identity - checks it in flight.
func sealedLiveAge(t *testing.T, bin string, k *sealKeys, out, mark string) {
	if _, err := exec.LookPath("age"); err == nil {
		plain := out + ".plain"
		if b, err := exec.Command("sh", "-c", `age -d -i "$1" "$2" > "$3"`, "sh", k.ageID, out, plain).CombinedOutput(); err != nil {
			t.Fatalf("age -d: %v\n%s", err, b)
		}
		c := exec.Command(bin, "verify", "--pubkey", k.sshPub, "--signature", out+".sig", plain)
		if b, err := c.CombinedOutput(); err != nil || !strings.Contains(string(b), "the decrypted copy") {
			t.Errorf("verify of age -d's output against the signature: %v\n%s", err, b)
		}
	}
	pid, _ := sealTarget(t)
	recips := ageRecipientsFile(t, k)
	sigOut := filepath.Join(t.TempDir(), "stream.sig")
	script := `set -o pipefail; "$0" capture --no-progress -q --recipients-file "$1" --sign "$2" --sign-output "$3" -o - "$4" | tee "$3.age" | "$0" verify --identity "$5" --pubkey "$6" --signature "$3" -`
	c := exec.Command("bash", "-c", script, bin, recips, k.sshID, sigOut, strconv.Itoa(pid), k.ageID, k.sshPub)
	if b, err := c.CombinedOutput(); err != nil || !strings.Contains(string(b), "-: OK") || !strings.Contains(string(b), "signature: good") {
		t.Errorf("capture --recipient -o - | verify --identity -: %v\n%s", err, b)
	}
	c = exec.Command(bin, "capture", "--sign", k.sshID, "-o", "-", strconv.Itoa(pid))
	var errb bytes.Buffer
	c.Stdout, c.Stderr = new(bytes.Buffer), &errb
	c.Run()
	if c.ProcessState.ExitCode() != 2 || !strings.Contains(errb.String(), "--sign-output") {
		t.Errorf("capture --sign -o - without --sign-output: exit %d, want 2:\n%s", c.ProcessState.ExitCode(), errb.String())
	}
}

// TestSealedSet: a set records the case fields in every archive and in its
// manifest, and refuses sealing, which applies to one archive.
func TestSealedSet(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("capture needs linux and root")
	}
	k := newSealKeys(t)
	pid, _ := sealTarget(t)
	dir := filepath.Join(t.TempDir(), "set")
	code, _, stderr := runCLI("capture", "--no-progress", "-q", "--tree", strconv.Itoa(pid), "--case", "CASE-9", "--examiner", "bob", "-o", dir)
	if code != 0 {
		t.Fatalf("capture --tree: exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	var man struct {
		Case *caseFields `json:"case"`
	}
	if err := json.Unmarshal(b, &man); err != nil || man.Case == nil || man.Case.Case != "CASE-9" || man.Case.Examiner != "bob" {
		t.Errorf("manifest case fields: %+v (%v)\n%s", man.Case, err, b)
	}
	ents, _ := filepath.Glob(filepath.Join(dir, "*.psnap"))
	if len(ents) != 1 {
		t.Fatalf("set holds %v", ents)
	}
	if r := captOpen(t, ents[0]); r.Meta() == nil || r.Meta().Case != "CASE-9" {
		t.Errorf("the set's archive does not record the case")
	}
	recip, _ := os.ReadFile(k.sshPub)
	code, _, stderr = runCLI("capture", "--no-progress", "--tree", strconv.Itoa(pid), "--recipient", strings.TrimSpace(string(recip)), "-o", filepath.Join(t.TempDir(), "s2"))
	if code != 2 || !strings.Contains(stderr, "not sealed yet") {
		t.Errorf("capture --tree --recipient: exit %d, want 2: %s", code, stderr)
	}
}
