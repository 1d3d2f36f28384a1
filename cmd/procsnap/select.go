package main

// Choosing the processes to capture: PIDs, NAMEs (exact), --name REGEX,
// --tree PID, --user USER and --all. Criteria combine: a process is
// selected when it meets any of them. Never selected: procsnap itself, the
// processes that started it with its command line (sudo, sh -c, timeout:
// their command lines hold its arguments), kernel threads and zombies (they
// have no memory to capture).

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/procsnap/procsnap/procfs"
)

// procSelector holds the criteria.
type procSelector struct {
	pfs   procfs.FS
	pids  []int            // PID arguments
	exact []string         // NAME arguments: equal to comm, or to the base name of argv[0]
	res   []*regexp.Regexp // --name: matches comm, or the command line joined by spaces
	trees []int            // --tree: the process and all its descendants
	uids  []uint32         // --user: the real uid
	all   bool             // --all: every process with memory
}

// proc is a process as a selector sees it.
type proc struct {
	pid, ppid int
	uid       uint32
	comm      string
	cmdline   []string
}

// newNameSelector selects by NAME (exact) or, with isRegex, by a regular
// expression.
func newNameSelector(pfs procfs.FS, name string, isRegex bool) (*procSelector, error) {
	s := &procSelector{pfs: pfs}
	if !isRegex {
		s.exact = []string{name}
		return s, nil
	}
	return s, s.addRegex(name)
}

func (s *procSelector) addRegex(expr string) error {
	re, err := regexp.Compile(expr)
	if err != nil {
		return usagef("--name: %v", err)
	}
	if re.MatchString("") {
		return usagef("--name %q matches the empty string, so every process: make it more precise", expr)
	}
	s.res = append(s.res, re)
	return nil
}

// addUser selects the processes whose real user is name (a user name or a
// numeric uid).
func (s *procSelector) addUser(name string) error {
	if uid, err := strconv.ParseUint(name, 10, 32); err == nil {
		s.uids = append(s.uids, uint32(uid))
		return nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return usagef("--user %q: %v (give a user name or a numeric uid)", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return usagef("--user %q: uid %q is not a number", name, u.Uid)
	}
	s.uids = append(s.uids, uint32(uid))
	return nil
}

// String says what the selector matches, for messages.
func (s *procSelector) String() string {
	var parts []string
	for _, re := range s.res {
		parts = append(parts, fmt.Sprintf("--name %q (matched against comm and the command line)", re.String()))
	}
	for _, n := range s.exact {
		parts = append(parts, fmt.Sprintf("%q (equal to comm or to the base name of argv[0])", n))
	}
	for _, p := range s.pids {
		parts = append(parts, "PID "+strconv.Itoa(p))
	}
	for _, p := range s.trees {
		parts = append(parts, fmt.Sprintf("--tree %d", p))
	}
	for _, u := range s.uids {
		parts = append(parts, fmt.Sprintf("--user %d", u))
	}
	if s.all {
		parts = append(parts, "--all")
	}
	return strings.Join(parts, " or ")
}

// matches lists the processes the selector matches, in PID order.
func (s *procSelector) matches() ([]proc, error) {
	pids, err := s.pfs.PIDs()
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	invokers := s.invokers()
	procs := map[int]proc{}
	for _, pid := range pids {
		if p, ok := s.read(pid); ok && !invokers[pid] {
			procs[pid] = p
		}
	}
	inTree := s.descendants(procs)
	var out []proc
	for _, pid := range pids {
		if p, ok := procs[pid]; ok && (inTree[pid] || s.match(p)) {
			out = append(out, p)
		}
	}
	return out, nil
}

// descendants marks the roots of --tree and every process below them.
func (s *procSelector) descendants(procs map[int]proc) map[int]bool {
	in := map[int]bool{}
	if len(s.trees) == 0 {
		return in
	}
	children := map[int][]int{}
	for pid, p := range procs {
		children[p.ppid] = append(children[p.ppid], pid)
	}
	todo := slices.Clone(s.trees)
	for len(todo) > 0 {
		pid := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if in[pid] {
			continue
		}
		in[pid] = true
		todo = append(todo, children[pid]...)
	}
	return in
}

// read reads what matching needs; false for a process that is gone, a
// kernel thread or a zombie.
func (s *procSelector) read(pid int) (proc, bool) {
	st, err := s.pfs.Stat(pid)
	if err != nil || st.KernelThread() || st.State == 'Z' || st.State == 'X' {
		return proc{}, false
	}
	_, argv, err := s.pfs.Cmdline(pid)
	if err != nil {
		return proc{}, false
	}
	p := proc{pid: pid, ppid: st.PPid, comm: st.Comm, cmdline: argv}
	if status, err := s.pfs.Status(pid); err == nil {
		p.uid = status.Uid[0]
	}
	return p, true
}

func (s *procSelector) match(p proc) bool {
	if s.all || slices.Contains(s.pids, p.pid) || slices.Contains(s.uids, p.uid) {
		return true
	}
	for _, re := range s.res {
		if re.MatchString(p.comm) || re.MatchString(strings.Join(p.cmdline, " ")) {
			return true
		}
	}
	for _, n := range s.exact {
		if p.comm == n || len(p.cmdline) > 0 && filepath.Base(p.cmdline[0]) == n {
			return true
		}
	}
	return false
}

// invokers is procsnap itself and those of its ancestors whose command
// line holds procsnap's own: they name the target only because they run
// procsnap.
func (s *procSelector) invokers() map[int]bool {
	self := os.Getpid()
	out := map[int]bool{self: true}
	own := strings.Join(os.Args, " ")
	for pid, n := os.Getppid(), 0; pid > 1 && n < 64; n++ {
		st, err := s.pfs.Stat(pid)
		if err != nil {
			break
		}
		if _, argv, err := s.pfs.Cmdline(pid); err == nil && strings.Contains(strings.Join(argv, " "), own) {
			out[pid] = true
		}
		pid = st.PPid
	}
	return out
}

// maxListed bounds the processes a listing shows.
const maxListed = 50

// one returns the one process the selector matches; none is an error,
// several a usage error that lists them.
func (s *procSelector) one() (int, error) {
	ps, err := s.matches()
	if err != nil {
		return 0, err
	}
	switch len(ps) {
	case 0:
		return 0, s.noneError()
	case 1:
		return ps[0].pid, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d processes match %s; give the PID of the one to capture, or capture them all into a directory or a tar stream (-o DIR, -o -):", len(ps), s)
	s.list(&b, ps)
	return 0, usagef("%s", b.String())
}

func (s *procSelector) noneError() error {
	return fmt.Errorf("no process matches %s (kernel threads, zombies and procsnap itself never match): check with 'ps -e -o pid,user,comm,args'", s)
}

// list writes a table of processes, at most maxListed of them.
func (s *procSelector) list(b *strings.Builder, ps []proc) {
	fmt.Fprintf(b, "\n  %-8s %-12s %s", "PID", "USER", "COMMAND")
	for i, p := range ps {
		if i == maxListed {
			fmt.Fprintf(b, "\n  and %d more", len(ps)-i)
			break
		}
		fmt.Fprintf(b, "\n  %-8d %-12s %s", p.pid, userName(p.uid), shortCmdline(p))
	}
}

// userName names uid, or gives it as a number.
func userName(uid uint32) string {
	s := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(s); err == nil {
		return clean(u.Username)
	}
	return s
}

// shortCmdline is a process's command line for a listing: escaped, at
// most 160 characters; comm in brackets when it has none.
func shortCmdline(p proc) string {
	if len(p.cmdline) == 0 {
		return "[" + clean(p.comm) + "]"
	}
	s := clean(quoteArgs(p.cmdline))
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160]) + "…"
	}
	return s
}
