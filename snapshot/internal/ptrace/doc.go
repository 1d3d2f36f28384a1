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
// Only package snapshot imports ptrace; it must not import format or procfs
// (it reads the two /proc files it needs itself). The register helpers build
// everywhere; freezing needs Linux and returns an error wrapping
// errors.ErrUnsupported elsewhere. Register layouts are those of x86-64.
package ptrace
