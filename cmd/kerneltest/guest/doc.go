//go:build linux && amd64

// Command guest is /init of `make test-kernels`' initramfs: a static
// program that is the only thing in the guest besides the test binaries
// and their targets. It mounts what the tests need, runs each suite of
// the manifest (proto.ManifestPath), relays every line the suites print to
// the serial console as proto lines, and powers off through QEMU's
// isa-debug-exit with the verdict (proto.GuestPassed or GuestFailed).
//
// As PID 1 it reaps every orphan, and between suites it kills whatever a
// suite left running, so one suite cannot disturb the next.
//
// It imports none of procsnap's packages, only internal/proto, and must
// stay static (CGO_ENABLED=0): the guest has no libc.
package main
