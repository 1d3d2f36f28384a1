package realprog

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
)

// pgBin holds the PostgreSQL 15 programs, as Debian installs them.
const pgBin = "/usr/lib/postgresql/15/bin"

// TestPostgres captures the postmaster and one backend of PostgreSQL 15,
// listening on a unix socket in a temporary directory only, under pgbench
// load, with the secret in a table row that was read into shared_buffers.
func TestPostgres(t *testing.T) {
	t.Parallel() // light: runs beside the other light ones, after the heavy ones
	need(t, pgBin+"/initdb", pgBin+"/postgres", pgBin+"/psql", pgBin+"/pgbench")
	pg := newPostgres(t)
	secret := newSecret()
	if out, err := pg.psql("CREATE TABLE realprog_secret (s text); INSERT INTO realprog_secret VALUES ('" +
		secret + "'); SELECT s FROM realprog_secret"); err != nil || !strings.Contains(out, secret) {
		t.Fatalf("plant the secret: %v\n%s", err, out)
	}
	if r := runCmd(t, pgBin+"/pgbench", pg.conn("-i", "-s", "1", "-q")...); r.code != 0 {
		t.Fatalf("pgbench -i: %s", r)
	}
	// Bounded by -T; stopped with the test if it has not finished.
	startServer(t, exec.Command(pgBin+"/pgbench", pg.conn("-c", "4", "-j", "2", "-T", "240")...), syscall.SIGINT)
	backend, err := pg.pgbenchBackend(4)
	if err != nil {
		t.Fatal(err)
	}
	selectOne := func() error {
		if out, err := pg.psql("SELECT 1"); err != nil || out != "1" {
			return fmt.Errorf("psql SELECT 1: %q, %v", out, err)
		}
		return nil
	}
	postmaster := target{pid: pg.PID, secret: secret, where: sharedRW, answer: selectOne, tasks: 1}
	worker := target{pid: backend, secret: secret, where: sharedRW, answer: selectOne, tasks: 1}
	pmArchives, beArchives := captureAll(t, postmaster), captureAll(t, worker)
	checkArchives(t, postmaster, pmArchives)
	checkArchives(t, worker, beArchives)
	checkTogether(t, pg.PID, selectOne)
}

// checkTogether captures the whole postgres tree with --together under
// pgbench load: every process's view of the shared memory (shared_buffers
// and the rest of the main segment, /dev/zero (deleted), rw-s) must be the
// same bytes in every archive, since all were frozen at one instant, and
// the server answers afterwards.
func checkTogether(t *testing.T, postmaster int, answer func() error) {
	dir := filepath.Join(t.TempDir(), "together")
	if r := procsnap(t, "capture", "-q", "--together", "--tree", strconv.Itoa(postmaster), "-o", dir); r.code != 0 {
		t.Fatalf("capture --together --tree: %s", r)
	}
	if r := procsnap(t, "verify", dir); r.code != 0 {
		t.Errorf("verify of the set: %s", r)
	}
	archives, _ := filepath.Glob(filepath.Join(dir, "*.psnap"))
	hashes := map[string][]string{} // the shared segment's region hash, per archive
	for _, a := range archives {
		var list struct {
			Regions []struct {
				Perms, Path string
				XXH64       *string
			}
		}
		if !procsnapJSON(t, &list, []int{0}, "list", a) {
			continue
		}
		for _, g := range list.Regions {
			if g.Perms == "rw-s" && g.Path == "/dev/zero (deleted)" && g.XXH64 != nil {
				hashes[*g.XXH64] = append(hashes[*g.XXH64], filepath.Base(a))
			}
		}
	}
	if len(archives) < 3 || len(hashes) != 1 {
		t.Errorf("%d archives; the shared segment's hashes across them: %v (want one hash, the same in all)", len(archives), hashes)
	}
	for h, as := range hashes {
		if len(as) != len(archives) {
			t.Errorf("the shared segment (hash %s) is in %d of %d archives", h, len(as), len(archives))
		}
	}
	if err := answer(); err != nil {
		t.Errorf("after capture --together: %v", err)
	}
}

// postgres is a server in a temporary directory: data, socket and log.
type postgres struct {
	*running
	t    *testing.T
	dir  string
	port string
}

// newPostgres makes a cluster with initdb and starts it as the postgres
// user (postgres refuses to run as root), or as nobody where there is no
// postgres user. It listens on no TCP address.
func newPostgres(t *testing.T) *postgres {
	t.Helper()
	cred := pgUser(t)
	dir, err := os.MkdirTemp("", "procsnap-realprog-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		t.Fatal(err)
	}
	pg := &postgres{t: t, dir: dir, port: strconv.Itoa(proctest.FreePort(t))}
	data := filepath.Join(dir, "data")
	initdb := pg.asUser(cred, pgBin+"/initdb", "-D", data, "-U", "postgres", "-A", "trust",
		"--no-locale", "-E", "UTF8", "--no-sync")
	if err := combined(initdb); err != nil {
		t.Fatal(err)
	}
	pg.running = startServer(t, pg.asUser(cred, pgBin+"/postgres", "-D", data, "-k", dir, "-p", pg.port,
		"-c", "listen_addresses=", "-c", "fsync=off"), syscall.SIGINT)
	if err := waitFor(30*time.Second, func() error { _, err := pg.psql("SELECT 1"); return err }); err != nil {
		t.Fatalf("postgres did not start: %v\n%s", err, pg.tail())
	}
	return pg
}

func pgUser(t *testing.T) *syscall.Credential {
	t.Helper()
	u, err := user.Lookup("postgres")
	if err != nil {
		u, err = user.Lookup("nobody")
	}
	if err != nil {
		t.Fatalf("no user to run postgres as: %v", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

func (pg *postgres) asUser(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = pg.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

// conn is args with the options that connect to the server.
func (pg *postgres) conn(args ...string) []string {
	return append([]string{"-h", pg.dir, "-p", pg.port, "-U", "postgres"}, append(args, "postgres")...)
}

// pgbenchBackend returns the pid of one of the clients backends of a
// pgbench run, once all of them are connected and stay so for a second
// (pgbench first connects once to vacuum).
func (pg *postgres) pgbenchBackend(clients int) (int, error) {
	const sql = "SELECT string_agg(pid::text, ' ' ORDER BY pid) FROM pg_stat_activity WHERE application_name = 'pgbench'"
	var last string
	err := waitFor(30*time.Second, func() error {
		out, err := pg.psql(sql)
		if err != nil {
			return err
		}
		stable := out == last && len(strings.Fields(out)) == clients
		last = out
		if !stable {
			time.Sleep(time.Second)
			return fmt.Errorf("pgbench backends %q, want %d that stay", out, clients)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.Fields(last)[0])
}

// psql runs sql and returns its unaligned output.
func (pg *postgres) psql(sql string) (string, error) {
	r := runCmd(pg.t, pgBin+"/psql", pg.conn("-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql)...)
	if r.code != 0 {
		return "", fmt.Errorf("psql -c %q: %s", sql, r)
	}
	return strings.TrimSpace(r.stdout), nil
}
