package main

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/procsnap/procsnap/cmd/psbench/internal/benchtarget"
)

//go:embed target/target.c
var targetSource []byte

//go:embed target/launch.c
var launchSource []byte

// startTarget starts the bench target of size bytes with the harness's
// monitor and churn settings.
func (b *runner) startTarget(ctx context.Context, bin string, size int64) (*benchtarget.Target, error) {
	var stderr capped
	t, err := benchtarget.Start(ctx, bin, benchtarget.Options{Size: size, Sleep: b.cfg.MonitorSleep, Churn: b.cfg.Churn,
		Stderr: &stderr, Pdeathsig: true})
	if err != nil {
		return nil, fmt.Errorf("target: %w %s", err, oneLine(stderr.b.String(), 200))
	}
	return t, nil
}
