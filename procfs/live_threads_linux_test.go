package procfs_test

// The live test of a multi-threaded process: this test binary re-executed as
// TestHelperThreads. It is an external test package because it starts the
// target with internal/proctest, which imports procfs.

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/procsnap/procsnap/internal/proctest"
	"github.com/procsnap/procsnap/procfs"
)

func TestMain(m *testing.M) { proctest.Main(m) }

var live = procfs.Default()

// helperEnv makes TestHelperThreads a target process: it holds that many goroutines locked to
// their own OS threads until its stdin closes. testdata/procfs/capture.sh uses it too.
const helperEnv = "PROCSNAP_HELPER_THREADS"

func TestHelperThreads(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(helperEnv))
	if err != nil {
		t.Skip("the target process of the live tests; runs only with " + helperEnv + " set")
	}
	var locked sync.WaitGroup
	for range n {
		locked.Add(1)
		go func() {
			runtime.LockOSThread()
			locked.Done()
			select {}
		}()
	}
	locked.Wait()
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

func TestLiveThreads(t *testing.T) {
	const n = 50
	p := proctest.StartReady(t, proctest.Self("TestHelperThreads", helperEnv+"="+strconv.Itoa(n)))
	cmd, pid := p.Cmd, p.PID
	st, tids := stableThreads(t, pid)
	if len(tids) < n+1 || st.Threads != len(tids) {
		t.Fatalf("target with %d locked threads: Threads %d, %d tasks %v", n, st.Threads, len(tids), tids)
	}
	for _, tid := range tids {
		ts, err := live.TaskStatus(pid, tid)
		if err != nil || ts.Tgid != pid || ts.Pid != tid {
			t.Errorf("TaskStatus(%d, %d) = %+v, %v", pid, tid, ts, err)
		}
	}
	if st.PPid != os.Getpid() || st.TracerPid != 0 || st.Tgid != pid {
		t.Errorf("Status = %+v", st)
	}
	raw, maps, err := live.Maps(pid)
	if err != nil {
		t.Fatal(err)
	}
	procfs.CheckMapsAgree(t, raw, maps)
	checkLiveVmFlags(t, pid, maps)

	self, err := live.Stat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if stat, err := live.Stat(pid); err != nil || stat.PPid != os.Getpid() || stat.StartTime < self.StartTime {
		t.Errorf("Stat = %+v, %v; test started at %d", stat, err, self.StartTime)
	}
	if _, argv, err := live.Cmdline(pid); err != nil || !slices.Equal(argv, cmd.Args) {
		t.Errorf("Cmdline = %q, %v; want %q", argv, err, cmd.Args)
	}
	if _, env, err := live.Environ(pid); err != nil || !slices.Equal(env, cmd.Env) {
		t.Errorf("Environ = %d strings, %v; want the %d of cmd.Env", len(env), err, len(cmd.Env))
	}
	if comm, err := live.Comm(pid); err != nil || comm != st.Name {
		t.Errorf("Comm = %q, %v; want %q", comm, err, st.Name)
	}
}

// stableThreads reads status, the task list and status again until both status reads agree:
// the Go runtime of the target may still be starting a thread.
func stableThreads(t *testing.T, pid int) (procfs.Status, []int) {
	t.Helper()
	for try := 0; ; try++ {
		before, err := live.Status(pid)
		if err != nil {
			t.Fatal(err)
		}
		tids, err := live.Tasks(pid)
		if err != nil {
			t.Fatal(err)
		}
		after, err := live.Status(pid)
		if err != nil {
			t.Fatal(err)
		}
		if before.Threads == after.Threads && len(tids) == after.Threads || try == 20 {
			return after, tids
		}
		runtime.Gosched()
	}
}

func checkLiveVmFlags(t *testing.T, pid int, maps []procfs.Mapping) {
	t.Helper()
	for _, m := range maps {
		if m.Kind() != procfs.KindStack && m.Kind() != procfs.KindVsyscall {
			continue
		}
		flags, err := live.VmFlags(pid, m.Start)
		want := map[procfs.Kind]string{procfs.KindStack: "gd", procfs.KindVsyscall: "ex"}[m.Kind()]
		if err != nil || !slices.Contains(flags, want) {
			t.Errorf("VmFlags of %q = %q, %v; want %s", m.Line, flags, err, want)
		}
	}
}
