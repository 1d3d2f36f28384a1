package main

// Choosing processes by what the user named them (capture NAME, capture
// --name REGEX). A procSelector holds the criteria and lists every process
// that meets them; the caller decides how many it accepts (capture: exactly
// one). Issue 17 (--tree, --user, --all, several processes into one set)
// adds criteria here.

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/procsnap/procsnap/procfs"
)

// procSelector matches processes by name. Never matched: procsnap itself,
// the processes that started it with its command line (sudo, sh -c,
// timeout: their command lines hold its arguments), kernel threads and
// zombies (they have no memory to capture).
type procSelector struct {
	pfs   procfs.FS
	exact string         // NAME: equal to comm, or to the base name of argv[0]
	re    *regexp.Regexp // --name REGEX: matches comm, or the command line joined by spaces
}

// proc is a process as a selector sees it.
type proc struct {
	pid, ppid int
	comm      string
	cmdline   []string
}

// newNameSelector selects by NAME (exact) or, with isRegex, by a regular
// expression.
func newNameSelector(pfs procfs.FS, name string, isRegex bool) (*procSelector, error) {
	if !isRegex {
		return &procSelector{pfs: pfs, exact: name}, nil
	}
	re, err := regexp.Compile(name)
	if err != nil {
		return nil, usagef("--name: %v", err)
	}
	if re.MatchString("") {
		return nil, usagef("--name %q matches the empty string, so every process: make it more precise", name)
	}
	return &procSelector{pfs: pfs, re: re}, nil
}

// String says what the selector matches, for messages.
func (s *procSelector) String() string {
	if s.re != nil {
		return fmt.Sprintf("--name %q (matched against comm and the command line)", s.re.String())
	}
	return fmt.Sprintf("%q (equal to comm or to the base name of argv[0])", s.exact)
}

// matches lists the processes the selector matches, in PID order.
func (s *procSelector) matches() ([]proc, error) {
	pids, err := s.pfs.PIDs()
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	invokers := s.invokers()
	var out []proc
	for _, pid := range pids {
		p, ok := s.read(pid)
		if ok && !invokers[pid] && s.match(p) {
			out = append(out, p)
		}
	}
	return out, nil
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
	return proc{pid: pid, ppid: st.PPid, comm: st.Comm, cmdline: argv}, true
}

func (s *procSelector) match(p proc) bool {
	if s.re != nil {
		return s.re.MatchString(p.comm) || s.re.MatchString(strings.Join(p.cmdline, " "))
	}
	return p.comm == s.exact || len(p.cmdline) > 0 && filepath.Base(p.cmdline[0]) == s.exact
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

// maxListed bounds the processes a refusal lists.
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
		return 0, fmt.Errorf("no process matches %s (kernel threads, zombies and procsnap itself never match): check the name with 'ps -e -o pid,user,comm,args'", s)
	case 1:
		return ps[0].pid, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d processes match %s; give the PID of the one to capture (procsnap capture PID):\n  %-8s %-12s %s", len(ps), s, "PID", "USER", "COMMAND")
	for i, p := range ps {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  and %d more", len(ps)-i)
			break
		}
		fmt.Fprintf(&b, "\n  %-8d %-12s %s", p.pid, s.userOf(p.pid), shortCmdline(p))
	}
	return 0, usagef("%s", b.String())
}

// userOf names the real user of process pid, or its uid, or "?".
func (s *procSelector) userOf(pid int) string {
	st, err := s.pfs.Status(pid)
	if err != nil {
		return "?"
	}
	uid := strconv.FormatUint(uint64(st.Uid[0]), 10)
	if u, err := user.LookupId(uid); err == nil {
		return clean(u.Username)
	}
	return uid
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
