package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"
)

// newFlagSet returns a flag set for a verb whose help text is usageText
// followed by the flag defaults.
func newFlagSet(name, usageText string, stdout io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "%s\nFlags:\n%s", usageText, fs.FlagUsages())
	}
	return fs
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
