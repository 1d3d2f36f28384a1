package main

// What info shows of the target's environment, working directory and root:
// all stored by capture, the environment shown only on request (it holds
// tokens and passwords as often as not).

import (
	"fmt"
	"io"

	"github.com/procsnap/procsnap/format"
)

// infoProcess is the part of info's JSON about the process's surroundings.
type infoProcess struct {
	Cwd          *string   `json:"cwd"`                     // /proc/PID/cwd at capture; null when not recorded
	Root         *string   `json:"root"`                    // /proc/PID/root at capture; null when not recorded
	EnvironCount int       `json:"environ_count"`           // variables stored
	Environ      *[]string `json:"environ,omitempty"`       // NAME=value, only with --environ
	EnvironError string    `json:"environ_error,omitempty"` // why the environment could not be read at capture
}

func newInfoProcess(m *format.Meta, showEnv bool) infoProcess {
	p := infoProcess{EnvironCount: len(m.Environ), EnvironError: m.Extra["environ_error"]}
	if v, ok := m.Extra["cwd"]; ok {
		p.Cwd = &v
	}
	if v, ok := m.Extra["root"]; ok {
		p.Root = &v
	}
	if showEnv {
		env := append([]string{}, m.Environ...)
		p.Environ = &env
	}
	return p
}

// printProcessRows adds the cwd, root and environment rows to info's table.
func printProcessRows(row func(k, f string, a ...any), p infoProcess, path string) {
	row("cwd", "%s", cleanOrUnknown(p.Cwd))
	row("root", "%s", cleanOrUnknown(p.Root))
	switch {
	case p.EnvironCount == 0 && p.EnvironError != "":
		row("environment", "not stored: reading it failed at capture (%s)", clean(p.EnvironError))
	case p.EnvironCount == 0:
		row("environment", "none stored")
	case p.Environ != nil:
		row("environment", "%s, listed below", plural(p.EnvironCount, "variable"))
	default:
		row("environment", "%s stored, not shown (they may hold secrets): procsnap info --environ %s",
			plural(p.EnvironCount, "variable"), clean(path))
	}
}

// printEnviron lists the environment, one NAME=value a line, escaped.
func printEnviron(w io.Writer, p infoProcess) {
	if p.Environ == nil || len(*p.Environ) == 0 {
		return
	}
	fmt.Fprintln(w, "environment")
	for _, v := range *p.Environ {
		fmt.Fprintf(w, "  %s\n", clean(v))
	}
}

func cleanOrUnknown(s *string) string {
	if s == nil {
		return "? (not recorded)"
	}
	return clean(*s)
}
