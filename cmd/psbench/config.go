package main

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Config says what to measure.
type Config struct {
	Size         int64         // the target's mixed region, bytes
	Runs         int           // runs of every measurement; figures are medians
	BigSize      int64         // a second target, procsnap capture only, once (0 = none; see DefaultBigSize)
	BigGcore     bool          // also gcore and zstd the big target
	Churn        int           // pages each target rewrites per millisecond while captured (0 = 4; <0 = none)
	Procsnap     string        // the procsnap binary to measure
	CC           string        // C compiler for the target ("" = cc)
	TempDir      string        // where the run's temp directory goes ("" = os.TempDir())
	RequireTools bool          // fail, instead of skipping, when gcore or zstd is missing (CI)
	ChangedPages int           // pages changed between the two snapshots diff compares (0 = 37)
	MonitorSleep time.Duration // the monitor's sleep between readings (0 = 50µs)
	Log          io.Writer     // one line per step; nil = silent
}

// ErrNotSupported: the harness needs Linux (ptrace, process_vm_readv).
var ErrNotSupported = errors.New("the bench harness needs Linux")

func (c *Config) defaults() error {
	if c.Size < 3*4096 {
		return fmt.Errorf("size %d is below 3 pages", c.Size)
	}
	if c.Runs < 1 {
		return fmt.Errorf("runs %d: want at least 1", c.Runs)
	}
	if c.Procsnap == "" {
		return errors.New("no procsnap binary given (build it with make build)")
	}
	if c.CC == "" {
		c.CC = "cc"
	}
	if c.BigSize != 0 && c.BigSize < 3*4096 {
		return fmt.Errorf("big size %d is below 3 pages", c.BigSize)
	}
	if c.Churn == 0 {
		c.Churn = 4
	}
	if c.ChangedPages == 0 {
		c.ChangedPages = 37
	}
	if c.MonitorSleep == 0 {
		c.MonitorSleep = 50 * time.Microsecond
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}
