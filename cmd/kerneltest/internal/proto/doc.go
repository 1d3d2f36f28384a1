// Package proto is what the two sides of `make test-kernels` agree on: the
// manifest the host puts into the initramfs, telling the guest's /init what
// to run, and the lines /init prints on the serial console, which the host
// parses. It imports nothing of procsnap.
package proto
