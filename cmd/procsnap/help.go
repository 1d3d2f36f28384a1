package main

// The top-level help, `procsnap help VERB`, and the version. The help is
// all an installed binary has: it must not send the reader to a file.

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

func usage(w io.Writer) {
	fmt.Fprintf(w, "procsnap %s: snapshot a live Linux process's memory into a verified archive\n\n", version)
	fmt.Fprint(w, `Usage: procsnap VERB [flags] ARGS
       procsnap help VERB     a verb's help: what it does, its flags, its exit codes
                              (the same as procsnap VERB --help)
       procsnap --version

Verbs and their exit codes:
`)
	for _, v := range verbTable() {
		fmt.Fprintf(w, "  %-12s %s\n  %-12s exit %s\n", v.name, v.summary, "", v.exits)
	}
	fmt.Fprint(w, `
Interrupted by SIGINT or SIGTERM, a verb exits 130 or 143 (verify and diff: 2).
Any other exit code means failure.

Data goes to stdout; messages, summaries and progress to stderr. With --json
(info, list, verify, diff, search) stdout holds exactly one JSON document, also
on failure: the verb's own, or
  {"error": {"message": "...", "kind": "usage"}, "exit": 2}
where kind is one of usage, not_found, permission, corrupt, unsupported,
incomplete, interrupted, io, failure. Addresses in JSON are hex strings.

Archives, extracted memory and cores are created with mode 0600 and replace an
existing file only with --force. Text from an archive is escaped on output.
Capturing another user's process needs root or CAP_SYS_PTRACE.
`)
}

// runHelp is `procsnap help [VERB]`: the top-level help, or a verb's.
func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	switch len(args) {
	case 0:
		usage(stdout)
		return nil
	case 1:
		v, ok := lookupVerb(args[0])
		if !ok {
			return usagef("no verb %q (run 'procsnap --help' for the list)", args[0])
		}
		return v.run(ctx, []string{"--help"}, stdout, stderr)
	}
	return usagef("want one verb, got %d arguments (e.g. procsnap help capture)", len(args))
}

// buildVersion is procsnap's semantic version: the one make stamped from
// git, else (go install, go build) the module's version with the commit
// the Go toolchain recorded, else 0.0.0-dev.
func buildVersion(stamped string) string {
	if stamped != "" {
		return stamped
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "0.0.0-dev"
	}
	return moduleVersion(info)
}

// moduleVersion turns build information into a semantic version:
// "v1.2.3" (go install ...@v1.2.3) is 1.2.3; a local build, "(devel)", is
// 0.0.0-dev; the VCS commit is added as build metadata when known and the
// version has none.
func moduleVersion(info *debug.BuildInfo) string {
	v := strings.TrimPrefix(info.Main.Version, "v")
	if v == "" || v == "(devel)" {
		v = "0.0.0-dev"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = ".dirty"
		}
	}
	if rev != "" && !strings.Contains(v, "+") {
		v += "+" + rev + dirty
	}
	return v
}
