package main

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/procsnap/procsnap/cmd/kerneltest/internal/proto"
)

// result is one test's outcome as `go test -v` printed it.
type result struct {
	name    string // TestX or TestX/sub
	status  string // PASS, FAIL, SKIP, or NONE: started and never ended
	seconds float64
	depth   int // 0 for a top-level test
}

// suiteRun is what one suite printed in the guest.
type suiteRun struct {
	name     string
	begun    bool
	ended    bool
	status   int
	seconds  float64
	results  []result
	running  map[string]bool // tests started and not ended yet
	output   []string
	failures int
}

// collector builds the report from the console lines.
type collector struct {
	info   [][2]string
	suites []*suiteRun
	byName map[string]*suiteRun
	done   bool
	failed int // what the guest said in its done line
	bad    []string
	echo   io.Writer // guest output as it comes (nil: none)
}

func newCollector(echo io.Writer) *collector {
	return &collector{byName: map[string]*suiteRun{}, echo: echo}
}

var (
	resultLine = regexp.MustCompile(`^(\s*)--- (PASS|FAIL|SKIP): (\S+) \(([0-9.]+)s\)$`)
	runLine    = regexp.MustCompile(`^=== RUN\s+(\S+)$`)
)

// line takes one console line.
func (c *collector) line(s string) {
	l, ok, err := proto.Parse(s)
	if err != nil {
		c.bad = append(c.bad, err.Error())
		return
	}
	if !ok {
		return // a kernel message or boot noise
	}
	switch l.Kind {
	case proto.KindInfo:
		c.info = append(c.info, [2]string{l.Suite, l.Text})
	case proto.KindBegin:
		sr := &suiteRun{name: l.Suite, begun: true, running: map[string]bool{}}
		c.suites = append(c.suites, sr)
		c.byName[l.Suite] = sr
	case proto.KindOut:
		if sr := c.byName[l.Suite]; sr != nil {
			sr.out(l.Text)
		}
		if c.echo != nil {
			fmt.Fprintf(c.echo, "%s: %s\n", l.Suite, l.Text)
		}
	case proto.KindEnd:
		if sr := c.byName[l.Suite]; sr != nil {
			sr.ended, sr.status, sr.seconds = true, l.Status, l.Seconds
		}
	case proto.KindDone:
		c.done, c.failed = true, l.Status
	}
}

// out takes one line of go test -v output.
func (sr *suiteRun) out(s string) {
	sr.output = append(sr.output, s)
	if m := runLine.FindStringSubmatch(s); m != nil {
		sr.running[m[1]] = true
		return
	}
	m := resultLine.FindStringSubmatch(s)
	if m == nil {
		return
	}
	secs, _ := strconv.ParseFloat(m[4], 64)
	sr.results = append(sr.results, result{name: m[3], status: m[2], seconds: secs, depth: len(m[1]) / 4})
	delete(sr.running, m[3])
	if m[2] == "FAIL" {
		sr.failures++
	}
}

// counts are the totals of top-level tests.
type counts struct{ passed, failed, skipped int }

// finish marks tests that never ended, and returns the problems of the
// run as a whole (a suite that did not end or exited non-zero without a
// failing test, no done line, QEMU's status) and the test counts.
func (c *collector) finish(qemuStatus int) (problems []string, n counts) {
	problems = append(problems, c.bad...)
	for _, sr := range c.suites {
		for name := range sr.running {
			sr.results = append(sr.results, result{name: name, status: "NONE", depth: strings.Count(name, "/")})
			sr.failures++
		}
		switch {
		case !sr.ended:
			problems = append(problems, fmt.Sprintf("%s: the suite never ended", sr.name))
		case sr.status != 0 && sr.failures == 0:
			problems = append(problems, fmt.Sprintf("%s: exited with status %d and no failing test (a panic or a timeout: see its output)", sr.name, sr.status))
		}
		for _, r := range sr.results {
			if r.depth > 0 {
				continue
			}
			switch r.status {
			case "PASS":
				n.passed++
			case "SKIP":
				n.skipped++
			default:
				n.failed++
			}
		}
	}
	want := proto.QEMUStatus(proto.GuestPassed)
	if c.failed != 0 {
		want = proto.QEMUStatus(proto.GuestFailed)
	}
	switch {
	case !c.done:
		problems = append(problems, fmt.Sprintf("the guest never said it was done (QEMU exit status %d)", qemuStatus))
	case qemuStatus != want:
		problems = append(problems, fmt.Sprintf("QEMU exited with status %d, want %d (isa-debug-exit)", qemuStatus, want))
	}
	return problems, n
}

// table prints every top-level test, and subtests that did not pass.
func (c *collector) table(w io.Writer) {
	fmt.Fprintf(w, "%-6s %9s  %s\n", "RESULT", "SECONDS", "TEST")
	for _, sr := range c.suites {
		for _, r := range sr.results {
			if r.depth > 0 && r.status == "PASS" || r.depth > 0 && r.status == "SKIP" {
				continue
			}
			fmt.Fprintf(w, "%-6s %9.2f  %s %s%s\n", r.status, r.seconds, sr.name, strings.Repeat("  ", r.depth), r.name)
		}
		fmt.Fprintf(w, "%-6s %9.2f  %s (the whole binary, exit status %d)\n", verdict(sr), sr.seconds, sr.name, sr.status)
	}
}

func verdict(sr *suiteRun) string {
	if sr.ended && sr.status == 0 && sr.failures == 0 {
		return "ok"
	}
	return "FAIL"
}

// measurements prints the MEASURE lines the tests logged: figures taken
// inside the guest (such as frozen times with and without write tracking),
// reported, never asserted.
func (c *collector) measurements(w io.Writer) {
	for _, sr := range c.suites {
		for _, s := range sr.output {
			if _, m, ok := strings.Cut(s, "MEASURE "); ok {
				fmt.Fprintf(w, "measured in %s: %s\n", sr.name, m)
			}
		}
	}
}

// failedOutput prints the whole output of each suite with a failure.
func (c *collector) failedOutput(w io.Writer) {
	for _, sr := range c.suites {
		if verdict(sr) == "ok" {
			continue
		}
		fmt.Fprintf(w, "\n=== output of %s in the guest\n", sr.name)
		for _, s := range sr.output {
			fmt.Fprintln(w, s)
		}
	}
}
