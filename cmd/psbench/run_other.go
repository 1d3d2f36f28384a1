//go:build !linux

package main

import "context"

// Run needs Linux: ptrace, process_vm_readv and /proc.
func Run(ctx context.Context, cfg Config) (*Report, error) { return nil, ErrNotSupported }

// DefaultBigSize: no big target without Linux.
func DefaultBigSize() int64 { return 0 }
