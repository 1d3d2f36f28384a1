package realprog

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/procsnap/procsnap/internal/proctest"
)

// captures is how many times each target is captured.
const captures = 3

// target is a running process under test and what its archives must show.
type target struct {
	pid    int
	secret string
	where  kind
	answer func() error // a server's health check; nil for other programs
	tasks  int          // threads every archive must hold; 0: not checked
}

// kind is the kind of region the secret must be found in.
type kind struct {
	name string
	is   func(perms, path string) bool
}

var (
	anonRW = kind{"an anonymous private rw region", func(perms, path string) bool {
		return path == "" && strings.HasPrefix(perms, "rw") && strings.HasSuffix(perms, "p")
	}}
	heapOrAnon = kind{"[heap] or an anonymous private rw region", func(perms, path string) bool {
		return anonRW.is(perms, path) || path == "[heap]" && perms == "rw-p"
	}}
	sharedRW = kind{"a shared rw mapping", func(perms, path string) bool {
		return perms == "rw-s"
	}}
)

// captureAll captures tg several times, checking after each capture that
// the target runs on and answers. It returns the archives of the captures
// that completed, for checkArchives.
func captureAll(t *testing.T, tg target) []string {
	t.Helper()
	dir := t.TempDir()
	var archives []string
	for i := range captures {
		archive := filepath.Join(dir, fmt.Sprintf("capture-%d.psnap", i))
		if tg.capture(t, i, archive) {
			archives = append(archives, archive)
		}
	}
	return archives
}

// checkArchives checks what needs no live target: every archive verifies
// and holds the secret where tg keeps it; gdb opens the last one exported
// as a core and YARA rules find the secret in it; the first two can be
// diffed. The target may be stopped before
// (a busy one slows the checks down).
func checkArchives(t *testing.T, tg target, archives []string) {
	t.Helper()
	for _, archive := range archives {
		checkVerify(t, archive)
		checkSecret(t, tg, archive)
	}
	if len(archives) > 0 {
		checkCore(t, tg.pid, archives[len(archives)-1])
		checkYara(t, tg, archives[len(archives)-1])
	}
	if len(archives) > 1 {
		checkDiff(t, archives[0], archives[1])
	}
}

// capture runs procsnap capture and checks that the target runs on (and
// answers) afterwards; it reports whether the capture completed.
func (tg target) capture(t *testing.T, i int, archive string) bool {
	t.Helper()
	r := procsnap(t, "capture", "--no-progress", "-o", archive, strconv.Itoa(tg.pid))
	if r.code != 0 {
		t.Errorf("capture %d of PID %d: %s", i, tg.pid, r)
	}
	if st, err := proctest.ReadStates(tg.pid); err != nil {
		t.Fatalf("after capture %d: PID %d is gone: %v", i, tg.pid, err)
	} else if stopped := st.Stopped(); len(stopped) > 0 {
		t.Errorf("after capture %d, PID %d has threads left stopped: %v (tasks %v)", i, tg.pid, stopped, st)
	}
	if tg.answer != nil {
		if err := tg.answer(); err != nil {
			t.Errorf("after capture %d the server does not answer: %v", i, err)
		}
	}
	if r.code != 0 {
		return false
	}
	var info infoJSON
	if procsnapJSON(t, &info, []int{0}, "info", archive) {
		t.Logf("capture %d: wall %v, frozen %v, %d threads", i, r.wall.Round(time.Millisecond),
			time.Duration(info.FrozenNS).Round(time.Microsecond), len(info.Threads))
		if tg.tasks != 0 && len(info.Threads) != tg.tasks {
			t.Errorf("capture %d holds %d threads, want %d", i, len(info.Threads), tg.tasks)
		}
		if !info.Complete {
			t.Errorf("capture %d exited 0, but info says the archive is incomplete", i)
		}
	}
	return true
}

func checkVerify(t *testing.T, archive string) {
	t.Helper()
	if r := procsnap(t, "verify", archive); r.code != 0 {
		t.Errorf("verify %s: %s", filepath.Base(archive), r)
	}
}

// checkSecret searches the archive for the secret and checks, through
// list, that one match lies in a region of the kind the target keeps it in.
func checkSecret(t *testing.T, tg target, archive string) {
	t.Helper()
	r := procsnap(t, "search", "--json", "--string", tg.secret, archive)
	if r.code == 1 {
		t.Errorf("%s: the secret is not in the archive", filepath.Base(archive))
		return
	}
	var found searchJSON
	var list listJSON
	if !decode(t, r, &found) || !procsnapJSON(t, &list, []int{0}, "list", archive) {
		return
	}
	var elsewhere []string
	for _, m := range found.Matches {
		if m.Region < 0 || m.Region >= len(list.Regions) {
			t.Errorf("a match at %s names region %d; list has %d", m.Address, m.Region, len(list.Regions))
			continue
		}
		reg := list.Regions[m.Region]
		if a := hex(m.Address); reg.Index != m.Region || a < hex(reg.Start) || a >= hex(reg.End) {
			t.Errorf("a match at %s is not in region %d as list shows it: %+v", m.Address, m.Region, reg)
			continue
		}
		if tg.where.is(reg.Perms, reg.Path) {
			t.Logf("%s: the secret is at %s in region %d %s %q", filepath.Base(archive), m.Address, reg.Index, reg.Perms, reg.Path)
			return
		}
		elsewhere = append(elsewhere, fmt.Sprintf("%s in region %d %s %q", m.Address, reg.Index, reg.Perms, reg.Path))
	}
	t.Errorf("%s: the secret is not in %s; found at %v", filepath.Base(archive), tg.where.name, elsewhere)
}

func checkDiff(t *testing.T, a, b string) {
	t.Helper()
	var d diffJSON
	if procsnapJSON(t, &d, []int{0, 1}, "diff", a, b) {
		if d.Summary == nil {
			t.Errorf("diff --json has no summary")
			return
		}
		t.Logf("diff: %+v", *d.Summary)
	}
}
