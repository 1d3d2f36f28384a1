package main

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestListFilters: --path, --perms and --state select regions of the
// sample archive (0 r-xp /usr/bin/demo, 1 rw-p [heap], 2 ---p skipped,
// 3 rw-s /tmp/shared file (deleted), 4 rw-p [stack] partial, 5 r--p
// /tmp/evil…), every condition must hold, and indexes stay the archive's.
func TestListFilters(t *testing.T) {
	path, _, _ := writeSample(t)
	cases := []struct {
		flags []string
		want  []int
	}{
		{nil, []int{0, 1, 2, 3, 4, 5}},
		{[]string{"--path", "[heap]"}, []int{1}},
		{[]string{"--path", "/tmp/"}, []int{3, 5}},
		{[]string{"--path", "(deleted)"}, []int{3}},
		{[]string{"--path", "HEAP"}, nil},
		{[]string{"--perms", "rw"}, []int{1, 3, 4}},
		{[]string{"--perms", "x"}, []int{0}},
		{[]string{"--perms", "s"}, []int{3}},
		{[]string{"--perms", "p"}, []int{0, 1, 2, 4, 5}},
		{[]string{"--state", "partial"}, []int{4}},
		{[]string{"--state", "skipped,partial"}, []int{2, 4}},
		{[]string{"--state", "truncated"}, nil},
		{[]string{"--path", "/tmp/", "--perms", "w"}, []int{3}},
		{[]string{"--perms", "rw", "--state", "complete"}, []int{1, 3}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.flags, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(append(append([]string{"list", "--json"}, c.flags...), path)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var doc struct{ Regions []listRegion }
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, g := range doc.Regions {
				got = append(got, g.Index)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("JSON lists regions %v, want %v", got, c.want)
			}
			_, text, _ := runCLI(append(append([]string{"list"}, c.flags...), path)...)
			lines := strings.Split(strings.TrimSpace(text), "\n")
			for i, idx := range c.want {
				if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], strconv.Itoa(idx)+" ") {
					t.Errorf("table row %d is not region %d:\n%s", i+1, idx, text)
				}
			}
		})
	}
}

func TestListFilterUsage(t *testing.T) {
	path, _, _ := writeSample(t)
	for _, flags := range [][]string{
		{"--perms", "rq"}, {"--perms", "r-x"}, {"--state", "done"}, {"--state", "partial,"}, {"--path", ""},
	} {
		code, stdout, stderr := runCLI(append(append([]string{"list"}, flags...), path)...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, flags[0]) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want a usage error naming %s", flags, code, stdout, stderr, flags[0])
		}
	}
}
