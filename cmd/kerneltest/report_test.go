package main

import (
	"strings"
	"testing"
)

// transcript is a console as the guest prints it, with kernel noise and
// \r already stripped.
const transcript = `[    0.020000] ..MP-BIOS bug: 8254 timer not connected to IO-APIC
@kt info kernel 6.1.0-57-amd64
@kt begin procfs
@kt out procfs === RUN   TestA
@kt out procfs --- PASS: TestA (0.10s)
@kt out procfs === RUN   TestB
@kt out procfs === RUN   TestB/sub
@kt out procfs     x_test.go:1: the reason
@kt out procfs     --- FAIL: TestB/sub (0.20s)
@kt out procfs --- FAIL: TestB (0.30s)
@kt out procfs === RUN   TestC
@kt out procfs --- SKIP: TestC (0.00s)
@kt out procfs FAIL
@kt end procfs 1 1.500
@kt begin snapshot/capture
@kt out snapshot/capture === RUN   TestD
@kt out snapshot/capture panic: test timed out after 10m0s
@kt end snapshot/capture 2 600.000
@kt begin snapshot/internal/ptrace
@kt out snapshot/internal/ptrace --- PASS: TestE (1.00s)
@kt out snapshot/internal/ptrace PASS
@kt end snapshot/internal/ptrace 0 2.000
@kt done 2
`

func collect(s string) *collector {
	c := newCollector(nil)
	for _, line := range strings.Split(s, "\n") {
		c.line(line)
	}
	return c
}

// TestCollector: results per test, a test that never ended, and the
// verdict of each suite.
func TestCollector(t *testing.T) {
	c := collect(transcript)
	problems, n := c.finish(3)
	if len(problems) != 0 {
		t.Errorf("problems %q, want none", problems)
	}
	if n != (counts{passed: 2, failed: 2, skipped: 1}) {
		t.Errorf("counts %+v", n)
	}
	var b strings.Builder
	c.table(&b)
	for _, want := range []string{
		"PASS        0.10  procfs TestA\n",
		"FAIL        0.30  procfs TestB\n",
		"FAIL        0.20  procfs   TestB/sub\n",
		"FAIL        1.50  procfs (the whole binary, exit status 1)\n",
		"NONE        0.00  snapshot/capture TestD\n",
		"ok          2.00  snapshot/internal/ptrace (the whole binary, exit status 0)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	c.failedOutput(&b)
	if !strings.Contains(b.String(), "panic: test timed out") || strings.Contains(b.String(), "TestE") {
		t.Errorf("failed output:\n%s", b.String())
	}
}

// TestCollectorProblems: what makes a run fail even without a failing test.
func TestCollectorProblems(t *testing.T) {
	cases := []struct {
		name, console string
		qemu          int
		want          string
	}{
		{"passed", "@kt begin p\n@kt end p 0 1.0\n@kt done 0", 1, ""},
		{"no done line", "@kt begin p\n@kt end p 0 1.0", 1, "never said it was done"},
		{"suite never ended", "@kt begin p\n@kt done 0", 1, "never ended"},
		{"status without a failing test", "@kt begin p\n@kt end p 2 1.0\n@kt done 1", 3, "no failing test"},
		{"QEMU disagrees", "@kt begin p\n@kt end p 0 1.0\n@kt done 0", 0, "want 1"},
		{"malformed line", "@kt begin p\n@kt end p 0\n@kt done 0", 1, "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			problems, _ := collect(tc.console).finish(tc.qemu)
			got := strings.Join(problems, "; ")
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("problems %q, want one with %q", got, tc.want)
			}
		})
	}
}
