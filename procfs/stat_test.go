package procfs

import (
	"errors"
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	const tail = " 28859 28855 2363 0 -1 4194368 2 0 0 0 0 0 0 0 20 0 5 0 62763 36139008 429\n"
	for _, tc := range []struct {
		name, text string
		want       Stat
	}{
		{"plain", "4473 (cat) R 4468 4468 2363 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 35967 3133440\n",
			Stat{Pid: 4473, Comm: "cat", State: 'R', PPid: 4468, Flags: 4194304, Threads: 1, StartTime: 35967}},
		{"parentheses in comm", "28925 (wk (0) x)) S" + tail,
			Stat{Pid: 28925, Comm: "wk (0) x)", State: 'S', PPid: 28859, Flags: 4194368, Threads: 5, StartTime: 62763}},
		{"looks like fields", "7 () 1 2 3) Z" + tail,
			Stat{Pid: 7, Comm: ") 1 2 3", State: 'Z', PPid: 28859, Flags: 4194368, Threads: 5, StartTime: 62763}},
		{"newline in comm", "7 (a\nb) t" + tail,
			Stat{Pid: 7, Comm: "a\nb", State: 't', PPid: 28859, Flags: 4194368, Threads: 5, StartTime: 62763}},
		{"empty comm", "7 () I" + tail,
			Stat{Pid: 7, Comm: "", State: 'I', PPid: 28859, Flags: 4194368, Threads: 5, StartTime: 62763}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("parseStat(%q)\n got %+v\nwant %+v", tc.text, got, tc.want)
			}
		})
	}
}

func TestParseStatErrors(t *testing.T) {
	const good = "4473 (cat) R 4468 4468 2363 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 35967 3133440\n"
	for _, tc := range []struct {
		name, text, reason string
	}{
		{"empty", "", "empty"},
		{"truncated", strings.TrimSuffix(good, "\n"), "no newline"},
		{"no comm", "4473 cat R 4468\n", "pid (comm)"},
		{"no pid", "(cat) R 4468\n", "pid (comm)"},
		{"bad pid", "44x3 (cat) R" + good[10:], "pid is not"},
		{"short", "4473 (cat) R 4468 4468\n", "fewer than 22"},
		{"two spaces", strings.Replace(good, ") R", ")  R", 1), "state"},
		{"state word", strings.Replace(good, ") R", ") RR", 1), "state"},
		{"bad ppid", strings.Replace(good, "R 4468", "R -1", 1), "ppid"},
		{"bad starttime", strings.Replace(good, "35967", "x", 1), "starttime"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := parseStat(tc.text)
			var perr *ParseError
			if !errors.As(err, &perr) || !strings.Contains(perr.Reason, tc.reason) || perr.Text != tc.text {
				t.Errorf("parseStat(%q) = %+v, %v; want a *ParseError with %q", tc.text, st, err, tc.reason)
			}
		})
	}
}

func TestStatState(t *testing.T) {
	pid := fixturePids(t)[fixtureBash]
	state, err := fixtures.StatState(pid)
	if err != nil || state != 'S' {
		t.Errorf("StatState(bash fixture) = %q, %v; want 'S'", state, err)
	}
}
