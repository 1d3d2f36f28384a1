package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// newFlagSet returns a flag set for a verb whose help text is usageText
// followed by the flag defaults.
func newFlagSet(name, usageText string, stdout io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "%s\nFlags:\n%s", usageText, flagUsages(fs))
	}
	return fs
}

// flagUsages lists the flags for a help text, one a line: the names, the
// value's placeholder, the usage and the default. A bool flag is shown bare
// (pflag 1.1 writes "--force[=true|false]"), and a default is shown only
// when it is a value (not false, 0 or empty).
func flagUsages(fs *pflag.FlagSet) string {
	var names, usages []string
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name := "    --" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand + ", --" + f.Name
		}
		placeholder, usage := pflag.UnquoteUsage(f)
		if placeholder != "" && f.Value.Type() != "bool" {
			name += " " + placeholder
		}
		switch {
		case f.DefValue == "" || f.DefValue == "false" || f.DefValue == "0":
		case f.Value.Type() == "string":
			usage += fmt.Sprintf(" (default %q)", f.DefValue)
		default:
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		names, usages = append(names, name), append(usages, usage)
		width = max(width, len(name))
	})
	var b strings.Builder
	for i, name := range names {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, name, usages[i])
	}
	return b.String()
}

// parseFlags parses args; --help prints the verb's help to stdout and
// returns errHelp; a bad flag is a usage error. want is the number of
// positional arguments the verb takes (-1: any).
func parseFlags(fs *pflag.FlagSet, args []string, want int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return errHelp // pflag has printed the help already
		}
		return usagef("%v (run 'procsnap %s --help')", err, fs.Name())
	}
	if want >= 0 && fs.NArg() != want {
		return usagef("want %d argument(s), got %d (run 'procsnap %s --help')", want, fs.NArg(), fs.Name())
	}
	return nil
}
