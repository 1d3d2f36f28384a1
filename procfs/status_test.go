package procfs

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// statusText is a status file as Linux 6.18 prints it, cut to the lines around those parsed.
const statusText = "Name:\tthread target\n" +
	"Umask:\t0022\n" +
	"State:\tt (tracing stop)\n" +
	"Tgid:\t4472\n" +
	"Ngid:\t0\n" +
	"Pid:\t4475\n" +
	"PPid:\t4468\n" +
	"TracerPid:\t4401\n" +
	"Uid:\t1000\t0\t1001\t1002\n" +
	"Gid:\t100\t101\t102\t4294967295\n" +
	"FDSize:\t256\n" +
	"Groups:\t \n" +
	"NStgid:\t4472\t1\n" +
	"NSpid:\t4475\t3\n" +
	"VmPeak:\t    3060 kB\n" +
	"Threads:\t51\n" +
	"CapEff:\t000001fffeffffff\n" +
	"Seccomp:\t2\n" +
	"Seccomp_filters:\t1\n" +
	"Cpus_allowed_list:\t0-1\n"

func TestParseStatus(t *testing.T) {
	got, err := parseStatus(statusText)
	if err != nil {
		t.Fatal(err)
	}
	want := Status{
		Name: "thread target", State: 't', Tgid: 4472, Pid: 4475, PPid: 4468, TracerPid: 4401,
		Uid: [4]uint32{1000, 0, 1001, 1002}, Gid: [4]uint32{100, 101, 102, 4294967295},
		Threads: 51, Seccomp: 2, NSpid: []int{4475, 3}, CapEff: 0x1fffeffffff,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseStatus:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseStatusErrors(t *testing.T) {
	drop := func(key string) string {
		var kept []string
		for _, l := range strings.SplitAfter(statusText, "\n") {
			if !strings.HasPrefix(l, key+":") {
				kept = append(kept, l)
			}
		}
		return strings.Join(kept, "")
	}
	replace := func(old, new string) string { return strings.Replace(statusText, old, new, 1) }
	for _, tc := range []struct {
		name, text, reason string
		line               int
	}{
		{"empty", "", "empty file", 0},
		{"truncated", strings.TrimSuffix(statusText, "\n"), "no newline", 20},
		{"no colon", replace("Umask:", "Umask"), "no colon", 2},
		{"no Tgid", drop("Tgid"), "no Tgid line", 0},
		{"no Threads", drop("Threads"), "no Threads line", 0},
		{"three uids", replace("\t1000\t0\t1001\t1002", "\t1000\t0\t1001"), "Uid", 9},
		{"gid beyond 32 bits", replace("4294967295", "4294967296"), "Gid", 10},
		{"negative pid", replace("Pid:\t4475", "Pid:\t-1"), "Pid", 6},
		{"repeated Pid", replace("PPid:", "Pid:"), "repeated Pid", 7},
		{"empty state", replace("t (tracing stop)", ""), "State", 3},
		{"short CapEff", replace("000001fffeffffff", "1fffeffffff"), "CapEff", 17},
		{"bad NSpid", replace("4475\t3", "4475\tx"), "NSpid", 14},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := parseStatus(tc.text)
			var perr *ParseError
			if !errors.As(err, &perr) || perr.Line != tc.line || !strings.Contains(perr.Reason, tc.reason) {
				t.Errorf("parseStatus = %+v, %v; want a *ParseError at line %d with %q", st, err, tc.line, tc.reason)
			}
		})
	}
}

func TestParseStatusOptional(t *testing.T) {
	st, err := parseStatus(strings.NewReplacer("NSpid:\t4475\t3\n", "", "Seccomp:\t2\n", "").Replace(statusText))
	if err != nil {
		t.Fatal(err)
	}
	if st.NSpid != nil || st.Seccomp != 0 {
		t.Errorf("without NSpid and Seccomp lines: NSpid %v, Seccomp %d; want nil, 0", st.NSpid, st.Seccomp)
	}
	// prctl(PR_SET_NAME, "") leaves an empty name.
	st, err = parseStatus(strings.Replace(statusText, "Name:\tthread target\n", "Name:\t\n", 1))
	if err != nil || st.Name != "" {
		t.Errorf("empty name: %q, %v", st.Name, err)
	}
}

// TestProcessFixtures checks status, stat and the thread list of each fixture against one
// another: the same facts read through different files.
func TestProcessFixtures(t *testing.T) {
	wantThreads := map[string]int{fixtureC: 5, fixtureGo: 8, fixtureBash: 1}
	for name, pid := range fixturePids(t) {
		t.Run(name, func(t *testing.T) {
			st, err := fixtures.Status(pid)
			if err != nil {
				t.Fatal(err)
			}
			if st.Name != name || st.Tgid != pid || st.Pid != pid || st.TracerPid != 0 ||
				st.Threads != wantThreads[name] || !slices.Equal(st.NSpid, []int{pid}) || st.CapEff == 0 {
				t.Errorf("Status = %+v", st)
			}
			stat, err := fixtures.Stat(pid)
			if err != nil {
				t.Fatal(err)
			}
			if stat.Pid != pid || stat.Comm != name || stat.State != st.State || stat.PPid != st.PPid ||
				stat.Threads != st.Threads || stat.StartTime == 0 {
				t.Errorf("Stat = %+v, Status %+v", stat, st)
			}
			tids, err := fixtures.Tasks(pid)
			if err != nil {
				t.Fatal(err)
			}
			if len(tids) != st.Threads || tids[0] != pid || !slices.IsSorted(tids) {
				t.Errorf("Tasks = %v, want %d sorted tids from %d", tids, st.Threads, pid)
			}
			checkTaskFixtures(t, pid, tids, stat.StartTime)
		})
	}
}

func checkTaskFixtures(t *testing.T, pid int, tids []int, start uint64) {
	t.Helper()
	for _, tid := range tids {
		st, err := fixtures.TaskStatus(pid, tid)
		if err != nil {
			t.Fatal(err)
		}
		stat, err := fixtures.TaskStat(pid, tid)
		if err != nil {
			t.Fatal(err)
		}
		comm, err := readLine(fixtures.taskPath(pid, tid, "comm"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Tgid != pid || st.Pid != tid || st.Name != comm {
			t.Errorf("TaskStatus(%d, %d) = %+v, comm %q", pid, tid, st, comm)
		}
		if stat.Pid != tid || stat.Comm != comm || stat.StartTime < start {
			t.Errorf("TaskStat(%d, %d) = %+v, comm %q, process start %d", pid, tid, stat, comm, start)
		}
	}
}
