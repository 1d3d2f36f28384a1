// Package ptrace freezes every thread of a live process, reads the frozen
// threads' registers, and thaws the process again.
//
// It owns every ptrace(2) request procsnap makes and the rules that keep the
// target's evidence intact:
//
//   - Tasks are stopped with PTRACE_SEIZE and PTRACE_INTERRUPT, never with
//     PTRACE_ATTACH, and no SIGSTOP or SIGCONT is ever sent: a process that was
//     stopped before the capture is stopped after it, a running one runs on.
//   - A signal the target was about to receive is handed back at detach.
//   - The target is never left stopped. Every error path detaches what was
//     seized, and all requests run on one OS thread that ends when the process
//     is thawed: if the tool dies, or a task cannot be detached, the kernel
//     detaches whatever that thread still traces (and a SIGKILL of the tool
//     does the same).
//
// What must run on the one locked thread stays here: every ptrace request
// (Linux accepts requests for a tracee only from the thread that seized
// it), with the wait4 calls that collect the stops between them. What the
// tracer reads of /proc (the task list, a task's state, whether a clone is a
// thread, who traces a task) it reads through package procfs, like the rest
// of procsnap; the caller checks the pid (a process, not this one) before
// it freezes.
//
// Only package snapshot/capture imports ptrace. ptrace imports procfs, and
// format for the register sets: it returns them as format.RegSet values
// (the kernel's bytes, tagged with their ELF note type), and format holds
// their types and x86-64 layouts. The types build everywhere; freezing
// needs Linux and returns an error wrapping errors.ErrUnsupported
// elsewhere.
package ptrace
