package main

// The JSON contract: with --json, stdout holds exactly one JSON document,
// also when the verb fails. A verb that got far enough writes its own
// document (verify's report with its problems, search's matches with its
// problems); otherwise exitCode writes an error document:
//
//	{"error": {"message": "...", "kind": "corrupt"}, "exit": 1}

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"syscall"

	"github.com/procsnap/procsnap/format"
	"github.com/procsnap/procsnap/snapshot/capture"
	"github.com/procsnap/procsnap/snapshot/elfcore"
)

// Error kinds, documented in docs/CLI.md. A script acts on the kind; the
// message is for people.
const (
	kindUsage       = "usage"       // a command-line mistake
	kindNotFound    = "not_found"   // a file, process or region named on the command line does not exist
	kindPermission  = "permission"  // the operating system refused (EACCES, EPERM: ptrace, a file's mode)
	kindCorrupt     = "corrupt"     // not an archive, or damaged beyond what the verb can read around
	kindUnsupported = "unsupported" // a format version or machine this procsnap does not handle
	kindIncomplete  = "incomplete"  // an archive was written but does not hold the whole capture
	kindInterrupted = "interrupted" // SIGINT or SIGTERM
	kindIO          = "io"          // reading or writing failed (a full disk, a closed pipe, EIO)
	kindFailure     = "failure"     // anything else
)

// jsonError is the error object of the JSON contract.
type jsonError struct {
	Message string `json:"message"`
	Kind    string `json:"kind"`
}

// errorDocument is what stdout holds when a --json verb fails before it
// could write its own document.
type errorDocument struct {
	Error jsonError `json:"error"`
	Exit  int       `json:"exit"`
}

// kindError gives an error the kind its JSON error object reports, where
// errorKind cannot tell it from the error's chain.
type kindError struct {
	kind string
	err  error
}

func (e *kindError) Error() string { return e.err.Error() }
func (e *kindError) Unwrap() error { return e.err }

// newJSONError describes err for the JSON contract.
func newJSONError(err error, code int) jsonError {
	msg := fmt.Sprintf("exit %d", code)
	if err != nil {
		msg = err.Error()
	}
	return jsonError{Message: msg, Kind: errorKind(err)}
}

// errorKind classifies err by what is in its chain.
func errorKind(err error) string {
	var ke *kindError
	var ue *usageError
	var se *signalError
	var ie *capture.IncompleteError
	var ce *format.CorruptError
	var errno syscall.Errno
	var pe *fs.PathError
	switch {
	case errors.As(err, &ke):
		return ke.kind
	case errors.As(err, &ue):
		return kindUsage
	case errors.As(err, &se), errors.Is(err, context.Canceled): // procsnap cancels only on a signal
		return kindInterrupted
	case errors.As(err, &ie):
		return kindIncomplete
	case errors.As(err, &ce):
		return kindCorrupt
	case errors.Is(err, elfcore.ErrUnsupportedMachine):
		return kindUnsupported
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ESRCH):
		return kindNotFound
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EPERM):
		return kindPermission
	case errors.As(err, &pe), errors.As(err, &errno):
		return kindIO
	}
	return kindFailure
}

// jsonStdout is stdout in --json mode: it notes whether the verb wrote its
// own document, so that exitCode writes an error document only when not.
type jsonStdout struct {
	w     io.Writer
	on    bool // --json was given
	wrote bool
}

func (j *jsonStdout) Write(p []byte) (int, error) {
	j.wrote = j.wrote || len(p) > 0
	return j.w.Write(p)
}

// writeError writes the error document, with --json and when the verb
// wrote nothing.
func (j *jsonStdout) writeError(err error, code int) {
	if !j.on || j.wrote {
		return
	}
	_ = writeJSON(j, errorDocument{Error: newJSONError(err, code), Exit: code}) // stdout is gone: nothing to do
}

// wantsJSON reports whether args ask verb v for JSON output: the verb's own
// flags decide, and when they do not parse (or the verb has no --json, which
// makes --json a usage error), any --json on the line does.
func wantsJSON(v verb, args []string) bool {
	if v.flags == nil {
		return jsonFlagGiven(args)
	}
	fs := v.flags(io.Discard)
	if err := fs.Parse(args); err != nil || fs.Lookup("json") == nil {
		return jsonFlagGiven(args)
	}
	on, err := fs.GetBool("json")
	return err == nil && on
}

// jsonFlagGiven looks for --json (or --json=true) among args, for a command
// line that does not parse.
func jsonFlagGiven(args []string) bool {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--json" {
			return true
		}
		if v, ok := strings.CutPrefix(a, "--json="); ok {
			if on, err := strconv.ParseBool(v); err == nil && on {
				return true
			}
		}
	}
	return false
}
