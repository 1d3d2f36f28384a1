// Package cpuid reads, with the CPUID instruction, what the capture must
// record about the CPU for the register sets to be read back correctly on
// another machine: the layout of the XSAVE standard format.
//
// PTRACE_GETREGSET NT_X86_XSTATE returns the XSAVE area in the standard
// (non-compacted) format as *this* CPU defines it: CPUID leaf 0xD gives each
// state component's offset and size, and they differ between vendors (AMD
// CPUs without MPX place the AVX-512 components where Intel has MPX). The
// kernel does not offer that layout through ptrace (only its own core dumps
// carry it, as NT_X86_XSAVE_LAYOUT), so the capture reads it here, on the
// machine whose kernel filled the buffers.
//
// CPUID runs in a few lines of amd64 assembly, without cgo: procsnap stays a
// static CGO_ENABLED=0 binary. Elsewhere XSaveLayout returns nil.
//
// cpuid imports nothing of procsnap: package snapshot copies its result into
// the archive metadata.
package cpuid
