//go:build !procsnaptest

package main

import "io"

// testHold is the identity in a release build (see testhook_on.go).
func testHold(w io.Writer) io.Writer { return w }
