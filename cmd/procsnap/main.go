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

	"github.com/spf13/pflag"
)

// stamped is the version `make build` stamps from git
// (-ldflags -X main.stamped=..., scripts/version.sh); version is what
// procsnap reports and stores in archives.
var (
	stamped string
	version = buildVersion(stamped)
)

// Exit codes, the only place they are written; see docs/CLI.md. Every
// verb exits 0 on success, 1 on failure and 2 on a usage mistake; capture
// adds 3. search and yara follow grep (0 found, 1 not found, 2 trouble),
// diff follows diff(1) (0 same, 1 different, 2 trouble). After SIGINT or
// SIGTERM a verb exits signalExit of the signal.
const (
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2
	exitIncomplete = 3 // capture: written, but not whole

	exitNotFound  = 1 // search: no match; yara: no rule matched
	exitDifferent = 1 // diff: the snapshots differ
	exitTrouble   = 2 // search, yara and diff: the question could not be answered
)

// signalExit is the exit code after signal sig: 128+sig (130 for SIGINT,
// 143 for SIGTERM), as a shell reports a command a signal killed.
func signalExit(sig syscall.Signal) int { return 128 + int(sig) }

// verb is one subcommand: its name, its one-line summary, its exit codes
// (for procsnap --help), its entry point and its flags (a fresh set, for
// main to tell whether --json was asked for).
type verb struct {
	name, summary, exits string
	run                  func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	flags                func(stdout io.Writer) *pflag.FlagSet
}

// verbTable is the one list of verbs, in the order the help lists them.
func verbTable() []verb {
	return []verb{
		{"capture", "freeze a live process and write its memory to an archive",
			"0 complete, 1 failure, 2 usage, 3 written but incomplete (the target exited)", runCapture,
			func(w io.Writer) *pflag.FlagSet { return captureFlags(new(captureOpts), w) }},
		{"info", "show an archive's metadata, threads and totals",
			"0 shown, 1 the archive cannot be read, 2 usage", runInfo,
			func(w io.Writer) *pflag.FlagSet { return infoFlags(new(infoOpts), w) }},
		{"list", "list an archive's regions",
			"0 listed, 1 the archive cannot be read, 2 usage", runList,
			func(w io.Writer) *pflag.FlagSet { return listFlags(new(listOpts), w) }},
		{"verify", "recompute every hash in an archive",
			"0 intact and complete, 1 damaged or incomplete, 2 usage or unreadable", runVerify,
			func(w io.Writer) *pflag.FlagSet { return verifyFlags(new(verifyOpts), w) }},
		{"extract", "write the bytes of one region (or a range of it)",
			"0 written, 1 failure or damaged pages, 2 usage", runExtract,
			func(w io.Writer) *pflag.FlagSet { return extractFlags(new(extractOpts), w) }},
		{"diff", "compare two snapshots of a process page by page",
			"0 no differences, 1 differences, 2 trouble", runDiff,
			func(w io.Writer) *pflag.FlagSet { return diffFlags(new(diffOpts), w) }},
		{"search", "find bytes, strings or patterns by virtual address",
			"0 found, 1 not found, 2 trouble", runSearch,
			func(w io.Writer) *pflag.FlagSet { return searchFlags(new(searchOpts), w) }},
		{"yara", "run YARA rules over snapshots (Debian's yara)",
			"0 a rule matched, 1 none did, 2 trouble", runYara,
			func(w io.Writer) *pflag.FlagSet { return yaraFlags(new(yaraOpts), w) }},
		{"export-core", "write an ELF core file that gdb opens",
			"0 written, 1 failure, 2 usage", runExportCore,
			func(w io.Writer) *pflag.FlagSet { return exportCoreFlags(new(exportCoreOpts), w) }},
	}
}

// lookupVerb finds the verb called name.
func lookupVerb(name string) (verb, bool) {
	for _, v := range verbTable() {
		if v.name == name {
			return v, true
		}
	}
	return verb{}, false
}

// verbNames are the verbs' names, in the table's order.
func verbNames() []string {
	var names []string
	for _, v := range verbTable() {
		names = append(names, v.name)
	}
	return names
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
		os.Exit(signalExit(s.(syscall.Signal)))
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
	case "-h", "--help":
		usage(stdout)
		return exitOK
	case "help":
		return exitCode(&jsonStdout{w: stdout}, stderr, "help", runHelp(ctx, args[1:], stdout, stderr))
	case "-V", "--version", "version":
		fmt.Fprintf(stdout, "procsnap %s\n", version)
		return exitOK
	}
	v, ok := lookupVerb(args[0])
	if !ok {
		err := usagef("unknown verb %q (run 'procsnap --help' for the list)", args[0])
		return exitCode(&jsonStdout{w: stdout, on: jsonFlagGiven(args)}, stderr, "", err)
	}
	out := &jsonStdout{w: stdout, on: wantsJSON(v, args[1:])}
	var w io.Writer = stdout
	if out.on {
		w = out // the verbs see their own stdout, unless a JSON error may have to follow
	}
	err := v.run(ctx, args[1:], w, stderr)
	return exitCode(out, stderr, args[0], err)
}

// exitCode is the one place that maps an error to a process exit code. It
// prints the error on stderr and, with --json, as a JSON error document on
// stdout when the verb wrote no document of its own.
func exitCode(stdout *jsonStdout, stderr io.Writer, name string, err error) int {
	var ue *usageError
	var ce *codeError
	code, shown := exitFailure, err
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ue):
		code, shown = exitUsage, ue.err
	case errors.As(err, &ce):
		code, shown = ce.code, ce.err
	}
	if shown != nil {
		prefix := "procsnap"
		if name != "" {
			prefix += " " + name
		}
		fmt.Fprintf(stderr, "%s: %v\n", prefix, shown)
	}
	if code != exitOK {
		stdout.writeError(err, code)
	}
	return code
}

// interrupted returns the exit for a verb that stops between steps after
// SIGINT or SIGTERM (signalExit), or nil when it may go on.
func interrupted(ctx context.Context) error {
	if ce := interruptedWith(ctx, nil); ce != nil {
		return ce
	}
	return nil
}

// interruptedWith is interrupted with the message shown (nil: the
// signal's), for a verb that says what it leaves behind.
func interruptedWith(ctx context.Context, shown error) *codeError {
	var se *signalError
	if !errors.As(context.Cause(ctx), &se) {
		return nil
	}
	return se.exit(shown)
}

// exit is the exit after the signal, showing shown (nil: the signal).
func (e *signalError) exit(shown error) *codeError {
	if shown == nil {
		shown = e
	}
	return &codeError{code: signalExit(e.sig), err: shown}
}

// errHelp is returned by a verb that printed its help on request.
var errHelp = errors.New("help shown")

// usageError marks a command-line mistake: exit 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

// codeError carries an explicit exit code, one of those above (e.g.
// verify's 1, capture's 3, signalExit after SIGINT). A nil err exits
// silently with code.
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
