package main

// The one way the tests run procsnap in this process: main's dispatch
// (run) with the arguments, standard output and standard error captured.
// Tests that need a separate process (a signal, a peak RSS, a hang that
// must be killed) start the built binary instead (proctest.Procsnap).

import (
	"bytes"
	"context"
	"syscall"
)

// runCLI runs procsnap with args, as `procsnap ARGS...` would, and returns
// its exit code, standard output and standard error.
func runCLI(args ...string) (code int, stdout, stderr string) {
	return runCLIContext(context.Background(), args...)
}

// runCLIContext is runCLI under ctx (see sigintContext).
func runCLIContext(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// sigintContext is a context as procsnap's is once SIGINT has arrived.
func sigintContext() context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(&signalError{sig: syscall.SIGINT})
	return ctx
}
