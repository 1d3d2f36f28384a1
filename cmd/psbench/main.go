// Command psbench is the `make bench` harness: procsnap against gcore and
// the physical limit of a freeze, measured on one target in one run. It
// prints the table and, with -doc, writes docs/PERFORMANCE.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "psbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("psbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.String("size", "2GiB", "size of the target's mixed region")
	quick := fs.Bool("quick", false, "a quick run: 256MiB and no big target unless -size or -big-size is given")
	bigSize := fs.String("big-size", "auto", "size of the big target, captured once by procsnap (auto: MemTotal/2 rounded up to a GiB, plus 1 GiB; 0: none)")
	cfg := Config{Log: stderr}
	fs.IntVar(&cfg.Runs, "runs", 3, "runs of every measurement (figures are medians)")
	fs.BoolVar(&cfg.BigGcore, "big-gcore", false, "also gcore and zstd the big target (needs twice its size on disk)")
	fs.IntVar(&cfg.Churn, "churn", 4, "pages the target rewrites per millisecond while captured (0: none)")
	fs.StringVar(&cfg.Procsnap, "procsnap", "./procsnap", "the procsnap binary to measure")
	fs.StringVar(&cfg.CC, "cc", "cc", "C compiler for the target")
	fs.StringVar(&cfg.TempDir, "tmpdir", "", "parent of the temp directory (default $TMPDIR)")
	fs.BoolVar(&cfg.RequireTools, "require-tools", os.Getenv("CI") != "", "fail when gcore or zstd is missing (default: when $CI is set)")
	doc := fs.String("doc", "", "write the report as Markdown here (docs/PERFORMANCE.md)")
	jsonOut := fs.String("json", "", "write every figure as JSON here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick && !set["size"] {
		*size = "256MiB"
	}
	if *quick && !set["big-size"] {
		*bigSize = "0"
	}
	if cfg.Churn == 0 {
		cfg.Churn = -1 // Config's 0 is the default rate
	}
	var err error
	if cfg.Size, err = ParseSize(*size); err != nil {
		return err
	}
	if cfg.BigSize, err = parseBigSize(*bigSize); err != nil {
		return err
	}
	r, err := Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, r.Text())
	for _, f := range r.Failures() {
		fmt.Fprintln(stderr, "psbench: failed:", f)
	}
	return write(r, *doc, *jsonOut)
}

// parseBigSize reads -big-size: a size, "auto" or 0.
func parseBigSize(s string) (int64, error) {
	switch s {
	case "auto":
		return DefaultBigSize(), nil
	case "0":
		return 0, nil
	}
	return ParseSize(s)
}

func write(r *Report, doc, jsonOut string) error {
	if doc != "" {
		if err := os.WriteFile(doc, []byte(r.Document()+keptSections(doc)), 0o644); err != nil {
			return err
		}
	}
	if jsonOut != "" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}

// keptMarker starts the part of docs/PERFORMANCE.md that other harnesses
// measure (the kernels under QEMU, procsnap yara): make bench keeps it.
const keptMarker = "<!-- Measured by other harnesses; make bench keeps what follows. -->"

// keptSections is the part of the existing doc from keptMarker on.
func keptSections(doc string) string {
	b, err := os.ReadFile(doc)
	if err != nil {
		return ""
	}
	if i := strings.Index(string(b), keptMarker); i >= 0 {
		return "\n" + string(b[i:])
	}
	return ""
}
