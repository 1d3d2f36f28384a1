package yarascan

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// First descriptors of a yara child: the compiled rules, the scan list,
// then one memfd per run.
const (
	fdRules = 3
	fdList  = 4
	fdRun0  = 5
)

// rawHit is a rule that matched one run of a batch, as yara said it.
type rawHit struct {
	run     int
	rule    *Rule
	strings []rawString
}

type rawString struct {
	id  string
	off uint64
	n   int
}

// scanBatch runs one yara over the batch's memfds (yara -p threads scans
// several at once) and returns its hits in yara's order, and the problems
// it reported on stderr.
func (rs *Rules) scanBatch(ctx context.Context, b *batch, threads int) ([]rawHit, []Problem, error) {
	list, err := scanList(len(b.runs))
	if err != nil {
		return nil, nil, err
	}
	defer list.Close()
	extra := []*os.File{rs.file, list}
	for _, u := range b.runs {
		extra = append(extra, u.f)
	}
	cmd := exec.CommandContext(ctx, rs.yara, "-C", "-s", "-L", "-m", "-e", "-g",
		"-p", strconv.Itoa(threads), "--scan-list", fdPath(fdRules), fdPath(fdList))
	cmd.ExtraFiles = extra
	cmd.Env = toolEnv()
	var stderr boundedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start yara: %w", err)
	}
	hits, perr := parseOutput(stdout, len(b.runs))
	if perr != nil {
		io.Copy(io.Discard, stdout)
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	msg := strings.TrimSpace(stderr.String())
	if err != nil {
		return nil, nil, fmt.Errorf("yara: %v: %s", err, msg)
	}
	if perr != nil {
		return nil, nil, fmt.Errorf("yara's output: %w", perr)
	}
	return hits, batchProblems(b, hits, msg), nil
}

// scanList is the memfd that lists the runs' descriptors, one a line.
func scanList(n int) (*os.File, error) {
	f, err := newMemfd("procsnap-yara-list")
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for i := range n {
		b.WriteString(fdPath(fdRun0 + i))
		b.WriteByte('\n')
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return nil, fmt.Errorf("memfd: %w", err)
	}
	return f, nil
}

// maxLine bounds a line of yara's output (a rule line with long meta).
const maxLine = 4 << 20

// parseOutput reads yara's stdout: rule lines, each followed by its string
// match lines. Rules are shared between hits of the same rule.
func parseOutput(r io.Reader, runs int) ([]rawHit, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	rules := map[string]*Rule{}
	var hits []rawHit
	for sc.Scan() {
		line := sc.Text()
		if off, n, id, ok := parseStringLine(line); ok {
			if len(hits) == 0 {
				return nil, fmt.Errorf("a string match before any rule: %q", clip(line))
			}
			h := &hits[len(hits)-1]
			h.strings = append(h.strings, rawString{id: id, off: off, n: n})
			continue
		}
		head, path, _ := cutLast(line, ' ')
		rule := rules[head]
		if rule == nil {
			var err error
			if rule, _, err = parseRuleLine(line); err != nil {
				return nil, err
			}
			rules[head] = rule
		}
		i, err := runOfPath(path, runs)
		if err != nil {
			return nil, err
		}
		hits = append(hits, rawHit{run: i, rule: rule})
	}
	return hits, sc.Err()
}

func cutLast(s string, sep byte) (string, string, bool) {
	i := strings.LastIndexByte(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// runOfPath maps /proc/self/fd/N back to the run's index in its batch.
func runOfPath(path string, runs int) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(path, "/proc/self/fd/"))
	if err != nil || n < fdRun0 || n >= fdRun0+runs || fdPath(n) != path {
		return 0, fmt.Errorf("yara named a file procsnap did not give it: %q", clip(path))
	}
	return n - fdRun0, nil
}

// Lines yara writes on stderr while scanning.
var (
	scanError = regexp.MustCompile(`^error scanning (/proc/self/fd/[0-9]+): (.*)$`)
	tooMany   = regexp.MustCompile(`^warning: rule "([^"]*)": too many matches for (\$[A-Za-z0-9_]*),`)
)

// maxStringMatches is how many matches of one string yara 4.2 records in
// one buffer (YR_MAX_STRING_MATCHES); past it, it warns "too many matches".
const maxStringMatches = 1000000

// batchProblems turns what yara said on stderr into problems: a run it
// could not scan, a string with too many matches (on the runs where it
// reached the limit), anything else as it is.
func batchProblems(b *batch, hits []rawHit, stderr string) []Problem {
	var out []Problem
	for _, line := range strings.Split(stderr, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if m := scanError.FindStringSubmatch(line); m != nil {
			if i, err := runOfPath(m[1], len(b.runs)); err == nil {
				out = append(out, runProblem(b.runs[i], "yara could not scan the run: "+m[2]))
				continue
			}
		}
		if m := tooMany.FindStringSubmatch(line); m != nil {
			if ps := tooManyProblems(b, hits, m[1], m[2]); len(ps) > 0 {
				out = append(out, ps...)
				continue
			}
		}
		out = append(out, Problem{Source: b.runs[0].src, Region: -1, Err: errors.New("yara: " + line)})
	}
	return out
}

func runProblem(u *dataRun, msg string) Problem {
	return Problem{Source: u.src, Region: u.g.Desc.Index, Start: u.start, End: u.end, Err: errors.New(msg)}
}

// tooManyProblems names the runs where the rule's string reached yara's
// limit of matches.
func tooManyProblems(b *batch, hits []rawHit, rule, id string) []Problem {
	var out []Problem
	for _, h := range hits {
		n := 0
		for _, s := range h.strings {
			if s.id == id {
				n++
			}
		}
		if h.rule.Name == rule && n >= maxStringMatches {
			msg := fmt.Sprintf("rule %s: more than %d matches of %s: yara kept only those, and the rule's result may be wrong", rule, maxStringMatches, id)
			out = append(out, runProblem(b.runs[h.run], msg))
		}
	}
	return out
}
