// Command kerneltest is `make test-kernels`: it runs the live tests of
// procfs, snapshot/internal/ptrace and snapshot/capture on Debian's own
// kernel packages, booted under QEMU's TCG emulation, and reports per test.
//
// For each kernel package it resolves the versioned image through apt's
// lists, downloads it with apt-get download and unpacks it with dpkg-deb
// (never installing it) into a cache under the checkout, builds static
// test binaries (CGO_ENABLED=0), static C targets (gcc -static) and the
// guest's /init (package guest), packs them into a newc initramfs, boots,
// reads the results from the serial console (internal/proto) and prints a
// table. It exits 1 if any test failed or the guest did not end as it
// should. See docs/KERNELS.md.
//
// It imports none of procsnap's packages (it builds their tests, it does
// not link them), only its own internal/proto.
package main
