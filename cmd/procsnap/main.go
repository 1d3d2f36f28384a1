// Command procsnap captures a live Linux process's memory into a hashed,
// compressed archive and works on that archive offline.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped by the Makefile from git (-ldflags -X main.version=...).
var version = "dev"

// Exit codes shared by every verb; see docs/CLI.md.
const (
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2
	exitIncomplete = 3
)

// verb is one subcommand: its one-line summary and its entry point.
type verb struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func verbs() map[string]verb {
	return map[string]verb{
		"capture":     {"freeze a live process and write its memory to an archive", runCapture},
		"info":        {"show an archive's metadata, threads and totals", runInfo},
		"list":        {"list an archive's regions", runList},
		"verify":      {"recompute every hash in an archive", runVerify},
		"extract":     {"write the bytes of one region (or a range of it)", runExtract},
		"diff":        {"compare two snapshots of a process page by page", runDiff},
		"search":      {"find bytes, strings or patterns by virtual address", runSearch},
		"yara":        {"run YARA rules over snapshots (Debian's yara)", runYara},
		"export-core": {"write an ELF core file that gdb opens", runExportCore},
	}
}

// verbOrder is the order verbs are listed in the help text.
var verbOrder = []string{"capture", "info", "list", "verify", "extract", "diff", "search", "yara", "export-core"}

func usage(w io.Writer) {
	fmt.Fprintf(w, "procsnap %s: snapshot a live Linux process's memory into a verified archive\n\n", version)
	fmt.Fprintf(w, "Usage: procsnap VERB [flags] ARGS\n\nVerbs:\n")
	vs := verbs()
	for _, name := range verbOrder {
		if v, ok := vs[name]; ok {
			fmt.Fprintf(w, "  %-12s %s\n", name, v.summary)
		}
	}
	fmt.Fprintf(w, "\nRun 'procsnap VERB --help' for a verb's flags. Exit codes: docs/CLI.md.\n")
}

func main() {
	// A write to a closed pipe must be an EPIPE error that procsnap handles
	// (thaw, close, report), not a SIGPIPE that kills it.
	signal.Ignore(syscall.SIGPIPE)
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		cancel(&signalError{sig: s.(syscall.Signal)})
		s = <-sigs // a second signal: give up at once (the kernel detaches the target)
		os.Exit(128 + int(s.(syscall.Signal)))
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// signalError is the context cause after SIGINT or SIGTERM.
type signalError struct{ sig syscall.Signal }

func (e *signalError) Error() string { return "interrupted by " + signalName(e.sig) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// run routes args to a verb and turns its error into an exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return exitOK
	case "-V", "--version", "version":
		fmt.Fprintf(stdout, "procsnap %s\n", version)
		return exitOK
	}
	v, ok := verbs()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "procsnap: unknown verb %q (run 'procsnap --help' for the list)\n", args[0])
		return exitUsage
	}
	err := v.run(ctx, args[1:], stdout, stderr)
	return exitCode(stderr, args[0], err)
}

// exitCode is the one place that maps an error to a process exit code.
func exitCode(stderr io.Writer, name string, err error) int {
	var ue *usageError
	var ce *codeError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "procsnap %s: %v\n", name, ue.err)
		return exitUsage
	case errors.As(err, &ce):
		if ce.err != nil {
			fmt.Fprintf(stderr, "procsnap %s: %v\n", name, ce.err)
		}
		return ce.code
	default:
		fmt.Fprintf(stderr, "procsnap %s: %v\n", name, err)
		return exitFailure
	}
}

// errHelp is returned by a verb that printed its help on request.
var errHelp = errors.New("help shown")

// usageError marks a command-line mistake: exit 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

// codeError carries an explicit exit code (e.g. verify's 1, capture's 3,
// 130 after SIGINT). A nil err exits silently with code.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *codeError) Unwrap() error { return e.err }
