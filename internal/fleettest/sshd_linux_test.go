package fleettest

// A real OpenSSH server for the ssh and Ansible tests: Debian's sshd with its
// own config, host key and authorized client key, all made in a temporary
// directory, listening on 127.0.0.1 and a free port, in the foreground, and
// stopped when the test ends.

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
)

// sshServer is a running sshd and what a client needs to log in as root:
// the client key and a known_hosts file that pins the server's host key.
type sshServer struct {
	ssh        string // the ssh client
	port       int
	key        string // client private key
	knownHosts string // "[127.0.0.1]:PORT <host key>"
	log        string // sshd's log file
}

// clientOptions are the ssh options every connection of the tests uses:
// no user or system config, no agent, only the throwaway key, and the host
// key checked against the pinned known_hosts (never learnt on first use).
func (s *sshServer) clientOptions() []string {
	return []string{
		"-F", "/dev/null",
		"-o", "BatchMode=yes",
		"-o", "IdentitiesOnly=yes",
		"-o", "IdentityAgent=none",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile=" + s.knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "ConnectTimeout=10",
		"-o", "LogLevel=ERROR",
		"-i", s.key,
	}
}

// command returns ssh running remote on the server as root, with the
// options above; -T: no terminal, the archive's bytes pass untouched.
func (s *sshServer) command(remote ...string) *exec.Cmd {
	args := append(s.clientOptions(), "-T", "-p", itoa(s.port), "root@127.0.0.1", "--")
	return exec.Command(s.ssh, append(args, remote...)...)
}

// startSSHD starts sshd for t and stops it when t ends.
func startSSHD(t *testing.T) *sshServer {
	t.Helper()
	needRoot(t)
	sshd, keygen := need(t, "sshd"), need(t, "ssh-keygen")
	s := &sshServer{ssh: need(t, "ssh")}
	dir := t.TempDir()
	hostKey, authorized := s.makeKeys(t, keygen, dir)
	// The privilege separation directory that Debian's sshd requires; the
	// system's sshd service normally creates it.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatalf("sshd needs /run/sshd: %v", err)
	}
	s.log = filepath.Join(dir, "sshd.log")
	cmd, exited := s.launch(t, sshd, dir, func(port int) string {
		return sshdConfig(port, hostKey, authorized, dir)
	})
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("sshd log:\n%s", s.logText())
		}
	})
	pub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(pub))
	s.knownHosts = filepath.Join(dir, "known_hosts")
	line := fmt.Sprintf("[127.0.0.1]:%d %s %s\n", s.port, f[0], f[1])
	if err := os.WriteFile(s.knownHosts, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// makeKeys makes the host key and the client key (s.key) in dir, and the
// authorized_keys file that lets the client key in.
func (s *sshServer) makeKeys(t *testing.T, keygen, dir string) (hostKey, authorized string) {
	t.Helper()
	hostKey = filepath.Join(dir, "host_ed25519")
	s.key = filepath.Join(dir, "client_ed25519")
	for _, k := range []string{hostKey, s.key} {
		if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "procsnap-fleettest", "-f", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	clientPub, err := os.ReadFile(s.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	authorized = filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, clientPub, 0o600); err != nil {
		t.Fatal(err)
	}
	return hostKey, authorized
}

// launch starts sshd with the config that config makes for a port, on a
// free port, and returns once it greets; exited is closed when it has
// exited and been waited for.
func (s *sshServer) launch(t *testing.T, sshd, dir string, config func(port int) string) (*exec.Cmd, chan struct{}) {
	t.Helper()
	logf, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	path := filepath.Join(dir, "sshd_config")
	for attempt := 0; ; attempt++ {
		s.port = proctest.FreePort(t)
		if err := os.WriteFile(path, []byte(config(s.port)), 0o600); err != nil {
			t.Fatal(err)
		}
		// sshd re-executes itself, so it must be started by its absolute path.
		cmd := exec.Command(sshd, "-D", "-e", "-f", path)
		// A file, not a pipe: waiting for sshd does not wait for the
		// sessions it started, which inherit its stderr.
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatalf("start sshd: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		err := waitSSH(s.port, exited, 10*time.Second)
		if err == nil {
			return cmd, exited
		}
		cmd.Process.Kill()
		<-exited
		// Another process may have taken the port between freePort and
		// sshd's bind: try another one, twice.
		if attempt == 2 {
			t.Fatalf("sshd did not come up on 127.0.0.1:%d: %v\n%s", s.port, err, s.logText())
		}
	}
}

// sshdConfig is a complete sshd_config: nothing is read from /etc/ssh. Root
// may log in with the authorized key only; no forwarding of any kind;
// StrictModes is off because the files lie under the world-writable /tmp.
//
// SetEnv SHLVL=1: bash, root's login shell, sources ~/.bashrc for a command
// run by sshd only as a top-level shell (SHLVL 1). On the project's machines
// root's .bashrc initialises pyenv, which takes seconds, once per session
// and so once per Ansible task; starting at SHLVL 2 skips it. The command
// itself runs unchanged.
func sshdConfig(port int, hostKey, authorized, dir string) string {
	return fmt.Sprintf(`ListenAddress 127.0.0.1:%d
HostKey %s
PidFile %s
AuthorizedKeysFile %s
AllowUsers root
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
X11Forwarding no
PermitTunnel no
PermitUserEnvironment no
PrintMotd no
PrintLastLog no
UseDNS no
SetEnv SHLVL=1
Subsystem sftp internal-sftp
`, port, hostKey, filepath.Join(dir, "sshd.pid"), authorized)
}

// waitSSH waits until the server on port greets with an SSH banner, or
// until sshd exits (exited is closed) or the time is up.
func waitSSH(port int, exited <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("sshd exited")
		default:
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			banner, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(banner, "SSH-2.0-") {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no SSH banner after %s", limit)
}

func (s *sshServer) logText() string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
