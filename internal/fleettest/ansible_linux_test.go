package fleettest

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAnsiblePlaybook runs docs/fleet/ansible/procsnap-capture.yml with
// ansible-playbook against the test's sshd, through an inventory of five
// "hosts" that are all 127.0.0.1:PORT as root with the throwaway key:
//
//   - alpha and bravo each capture a target the test started (their own),
//     alpha by a PID in a list, bravo by a PID in a string or, when this
//     procsnap has --name, by a name only bravo's target's command line
//     holds;
//   - echo selects two targets of its own: a set, kept as a tar;
//   - charlie selects a process that has exited: procsnap refuses;
//   - delta has no selection at all.
//
// It asserts that ansible-playbook exits 2 (some hosts failed) after
// running every host to its end: alpha and bravo succeed, each archive is
// in evidence/HOST/ of the directory ansible-playbook ran in, mode 0600
// (the directories 0700), with a .sha256 file that sha256sum -c accepts, and verifies, is its own
// target's and holds its own target's secret and not the other's; echo's
// set is a tar with its .sha256 that examineSet accepts; charlie and delta
// fail, each with a message naming the host and the task, and
// leave no archive. On the host, the parent of the playbook's temporary
// directories is empty afterwards (every host's was removed, the failed
// one's too) and Ansible's default remote temporary directory was never
// used.
func TestAnsiblePlaybook(t *testing.T) {
	t.Parallel()
	start := time.Now()
	defer logDuration(t, "TestAnsiblePlaybook", start)
	playbookCmd := need(t, "ansible-playbook")
	srv := startSSHD(t)
	procsnap, targetBin := binaries(t)
	alpha, bravo := startTarget(t, targetBin), startTarget(t, targetBin)
	echo := []target{startTarget(t, targetBin), startTarget(t, targetBin)}
	hosts := map[string]string{
		"alpha":   fmt.Sprintf(`{procsnap_select: ["%d"]}`, alpha.pid),
		"bravo":   fmt.Sprintf(`{procsnap_select: "%d"}`, bravo.pid), // a string, split
		"charlie": fmt.Sprintf(`{procsnap_select: ["%d"]}`, gonePID(t)),
		"delta":   `{}`,
		"echo":    fmt.Sprintf(`{procsnap_select: %q}`, strings.Join(pids(echo...), " ")), // a set
	}
	if hasNameSelector(t, procsnap) {
		// Only bravo's command line holds its word; the playbook's shell
		// that runs procsnap holds it too but ends with procsnap's command
		// line, which procsnap never takes for its target.
		hosts["bravo"] = fmt.Sprintf(`{procsnap_select: "--name %s"}`, bravo.word)
	}
	w := newAnsibleWork(t, srv, hosts)
	playbook, err := filepath.Abs(filepath.Join("..", "..", "docs", "fleet", "ansible", "procsnap-capture.yml"))
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(playbookCmd, "-i", w.inventory, playbook, "-e", "procsnap_binary="+procsnap)
	cmd.Dir = w.control
	cmd.Env = ansibleEnv(t, w.ansible, w.control)
	t.Cleanup(func() { closeMasters(t, srv, filepath.Join(w.ansible, "cp")) })
	played := time.Now()
	r := run(t, cmd)
	logDuration(t, "ansible-playbook", played)
	out := append(r.stdout, r.stderr...)
	defer func() {
		if t.Failed() {
			t.Logf("ansible-playbook output:\n%s", out)
		}
	}()
	if r.code != 2 {
		t.Errorf("ansible-playbook exit %d, want 2 (some hosts failed)", r.code)
	}
	checkRecap(t, out, map[string]int{"alpha": 0, "bravo": 0, "charlie": 1, "delta": 1, "echo": 0})
	for host, task := range map[string]string{"charlie": "Capture with procsnap", "delta": "Check the variables and that no evidence is overwritten"} {
		want := fmt.Sprintf("procsnap capture on %s failed at '%s'", host, task)
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the output does not say %q", want)
		}
	}
	evidence := filepath.Join(w.control, "evidence")
	checkEvidence(t, procsnap, filepath.Join(evidence, "alpha"), alpha, bravo.secret)
	checkEvidence(t, procsnap, filepath.Join(evidence, "bravo"), bravo, alpha.secret)
	checkSetEvidence(t, procsnap, filepath.Join(evidence, "echo"), echo...)
	w.checkNothingLeft(t)
}

// ansibleWork is where the Ansible test works.
type ansibleWork struct {
	control   string // where ansible-playbook runs: evidence/ goes here
	hostTmp   string // procsnap_remote_parent, on the host
	ansible   string // Ansible's config, home, local temp and control sockets
	unusedRT  string // the inventory's ansible_remote_tmp, which must stay unused
	inventory string
}

// newAnsibleWork makes the directories and writes the inventory of hosts.
func newAnsibleWork(t *testing.T, srv *sshServer, hosts map[string]string) *ansibleWork {
	t.Helper()
	work := t.TempDir()
	w := &ansibleWork{
		control:  filepath.Join(work, "control"),
		hostTmp:  filepath.Join(work, "host-tmp"),
		ansible:  filepath.Join(work, "ansible"),
		unusedRT: filepath.Join(work, "unused-rt"),
	}
	for _, d := range []string{w.control, w.hostTmp, w.ansible} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	w.inventory = filepath.Join(w.ansible, "inventory.yml")
	if err := os.WriteFile(w.inventory, []byte(inventoryYAML(srv, hosts, w)), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// checkNothingLeft checks that the failed hosts left no evidence, that the
// parent of the playbook's temporary directories on the host is empty
// (every host's was removed, the failed ones' too) and that Ansible never
// used its default remote temporary directory.
func (w *ansibleWork) checkNothingLeft(t *testing.T) {
	t.Helper()
	for _, host := range []string{"charlie", "delta"} {
		if m, _ := filepath.Glob(filepath.Join(w.control, "evidence", host, "*.psnap")); len(m) != 0 {
			t.Errorf("failed host %s left evidence %q", host, m)
		}
	}
	if left, err := os.ReadDir(w.hostTmp); err != nil || len(left) != 0 {
		t.Errorf("the host's temporary directory holds %v (%v), want nothing", names(left), err)
	}
	if left, err := os.ReadDir(w.unusedRT); !os.IsNotExist(err) {
		t.Errorf("Ansible used its default remote temporary directory: %v (%v)", names(left), err)
	}
}

// inventoryYAML is the test's inventory: every host is the test's sshd.
func inventoryYAML(srv *sshServer, hosts map[string]string, w *ansibleWork) string {
	var b strings.Builder
	b.WriteString("fleet:\n  hosts:\n")
	for _, h := range slices.Sorted(maps.Keys(hosts)) {
		fmt.Fprintf(&b, "    %s: %s\n", h, hosts[h])
	}
	var common []string
	for _, o := range srv.clientOptions() {
		common = append(common, shellQuote(o))
	}
	fmt.Fprintf(&b, `  vars:
    ansible_host: 127.0.0.1
    ansible_port: %d
    ansible_user: root
    ansible_ssh_private_key_file: %s
    ansible_ssh_common_args: %s
    ansible_python_interpreter: /usr/bin/python3
    ansible_remote_tmp: %s
    procsnap_remote_parent: %s
`, srv.port, strconv.Quote(srv.key), strconv.Quote(strings.Join(common, " ")),
		strconv.Quote(w.unusedRT), strconv.Quote(w.hostTmp))
	return b.String()
}

// ansibleEnv keeps Ansible inside dir: its config (an empty file, so no
// ansible.cfg anywhere is read), home, local temporary files and ssh
// control sockets; no fact gathering, no retry files, no colour. PWD is
// where ansible-playbook runs (the playbook's evidence goes under it).
func ansibleEnv(t *testing.T, dir, pwd string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ANSIBLE_") && !strings.HasPrefix(kv, "PWD=") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	cfg := filepath.Join(dir, "ansible.cfg")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	return append(env,
		"ANSIBLE_CONFIG="+cfg,
		"HOME="+home,
		"ANSIBLE_HOME="+home,
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "local-tmp"),
		"ANSIBLE_SSH_CONTROL_PATH_DIR="+filepath.Join(dir, "cp"),
		"ANSIBLE_GATHERING=explicit",
		"ANSIBLE_RETRY_FILES_ENABLED=false",
		"ANSIBLE_NOCOLOR=true",
		"ANSIBLE_HOST_KEY_CHECKING=true",
		"PWD="+pwd,
	)
}

// closeMasters ends the ssh connections that Ansible keeps open for 60 s
// after its last task (ControlPersist), one per host, so that no session
// outlives the test.
func closeMasters(t *testing.T, srv *sshServer, dir string) {
	socks, _ := os.ReadDir(dir)
	for _, s := range socks {
		args := append(srv.clientOptions(), "-o", "ControlPath="+filepath.Join(dir, s.Name()), "-O", "exit", "127.0.0.1")
		if out, err := exec.Command(srv.ssh, args...).CombinedOutput(); err != nil {
			t.Logf("ssh -O exit %s: %v\n%s", s.Name(), err, out)
		}
	}
}

var recapLine = regexp.MustCompile(`(?m)^(\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)`)

// checkRecap checks the PLAY RECAP: every host reached, with the failed
// count of want.
func checkRecap(t *testing.T, out []byte, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	for _, m := range recapLine.FindAllSubmatch(out, -1) {
		if string(m[2]) != "0" {
			t.Errorf("%s unreachable", m[1])
		}
		got[string(m[1])], _ = strconv.Atoi(string(m[3]))
	}
	for h, n := range want {
		if g, ok := got[h]; !ok || g != n {
			t.Errorf("recap: %s failed=%d (listed %v), want failed=%d", h, g, ok, n)
		}
	}
}

// checkEvidence checks one host's evidence directory: one archive, mode
// 0600 in directories of mode 0700, its .sha256 right, and examine passes.
func checkEvidence(t *testing.T, procsnap, dir string, tg target, absent string) {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.psnap"))
	if len(m) != 1 {
		t.Errorf("%s holds archives %q, want one", dir, m)
		return
	}
	archive := m[0]
	for path, perm := range map[string]os.FileMode{archive: 0o600, dir: 0o700, filepath.Dir(dir): 0o700} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != perm {
			t.Errorf("%s: mode %v (%v), want %v", path, fi.Mode(), err, perm)
		}
	}
	sum, err := os.ReadFile(archive + ".sha256")
	if want := fileDigest(t, archive) + "  " + filepath.Base(archive) + "\n"; err != nil || string(sum) != want {
		t.Errorf("%s.sha256 = %q (%v), want %q", archive, sum, err, want)
	}
	examine(t, procsnap, archive, tg, absent)
}

func names(entries []os.DirEntry) []string {
	var n []string
	for _, e := range entries {
		n = append(n, e.Name())
	}
	return n
}

// shellQuote quotes s for the POSIX shell (and for shlex, which Ansible
// splits ssh arguments with).
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=/.:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
