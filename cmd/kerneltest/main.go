package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ok, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kerneltest:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

type options struct {
	kernels []string
	cache   string
	run     string
	verbose bool
	keep    bool
	machine machine
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("kerneltest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	kernels := fs.String("kernels", "linux-image-amd64", "Debian kernel packages to test, comma-separated (a metapackage names its current versioned image)")
	fs.StringVar(&o.cache, "cache", ".cache/kernels", "where unpacked kernels are kept between runs")
	fs.StringVar(&o.run, "run", "", "run only the tests matching this regexp in every suite (instead of each suite's own selection)")
	fs.BoolVar(&o.verbose, "v", false, "print the guest's output as it comes")
	fs.BoolVar(&o.keep, "keep", false, "keep the build directory (test binaries, targets, initramfs)")
	fs.IntVar(&o.machine.cpus, "smp", 2, "guest CPUs")
	fs.IntVar(&o.machine.memMiB, "m", 2048, "guest memory in MiB")
	fs.DurationVar(&o.machine.timeout, "timeout", 8*time.Minute, "longest a guest may run")
	fs.StringVar(&o.machine.qemu, "qemu", "qemu-system-x86_64", "the QEMU binary")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for _, k := range strings.Split(*kernels, ",") {
		if k = strings.TrimSpace(k); k != "" {
			o.kernels = append(o.kernels, k)
		}
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (bool, error) {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return false, err
	}
	root, err := moduleRoot()
	if err != nil {
		return false, err
	}
	if !filepath.IsAbs(o.cache) {
		o.cache = filepath.Join(root, o.cache)
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "kerneltest: "+format+"\n", a...) }
	work, err := os.MkdirTemp("", "kerneltest-")
	if err != nil {
		return false, err
	}
	if o.keep {
		logf("build directory %s", work)
	} else {
		defer os.RemoveAll(work)
	}
	start := time.Now()
	a, err := build(ctx, root, work, suites)
	if err != nil {
		return false, err
	}
	logf("built the test binaries, targets and /init in %.1f s", time.Since(start).Seconds())
	allOK := true
	for _, name := range o.kernels {
		ok, err := testKernel(ctx, o, root, work, name, a, stdout, stderr, logf)
		if err != nil {
			return false, err
		}
		allOK = allOK && ok
	}
	return allOK, nil
}

// testKernel boots one kernel package with the suites and prints its table.
func testKernel(ctx context.Context, o *options, root, work, name string, a *artifacts, stdout, stderr io.Writer, logf func(string, ...any)) (bool, error) {
	pkg, version, err := resolvePackage(ctx, name)
	if err != nil {
		return false, err
	}
	k, err := fetchKernel(ctx, o.cache, pkg, version, logf)
	if err != nil {
		return false, err
	}
	m := manifest(suites, k, o.run)
	initrd := filepath.Join(work, pkg+".cpio")
	if err := writeInitramfs(initrd, root, a, m); err != nil {
		return false, err
	}
	logPath := filepath.Join(k.dir, "console.log")
	log, err := os.Create(logPath)
	if err != nil {
		return false, err
	}
	defer log.Close()
	var echo io.Writer
	if o.verbose {
		echo = stderr
	}
	c := newCollector(echo)
	logf("booting %s %s (%d CPUs, %d MiB, TCG)", pkg, version, o.machine.cpus, o.machine.memMiB)
	start := time.Now()
	status, bootErr := boot(ctx, o.machine, k.image, initrd, log, c.line, logf)
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	problems, n := c.finish(status)
	if bootErr != nil {
		problems = append(problems, bootErr.Error())
	}
	printReport(stdout, k, c, elapsed, problems, n, logPath)
	return n.failed == 0 && len(problems) == 0, nil
}

// printReport prints one kernel's table, the output of what failed and
// the closing count line.
func printReport(w io.Writer, k *kernel, c *collector, elapsed time.Duration, problems []string, n counts, logPath string) {
	fmt.Fprintf(w, "\n%s %s", k.pkg, k.version)
	for _, kv := range c.info {
		fmt.Fprintf(w, ", %s %s", kv[0], kv[1])
	}
	fmt.Fprintf(w, "; QEMU ran %.1f s\n", elapsed.Seconds())
	c.table(w)
	c.measurements(w)
	failed := n.failed > 0 || len(problems) > 0
	if failed {
		c.failedOutput(w)
	}
	for _, p := range problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	if failed {
		fmt.Fprintf(w, "the guest's console is in %s\n", logPath)
	}
	fmt.Fprintf(w, "%s: %d passed, %d failed, %d skipped\n", k.pkg, n.passed, n.failed, n.skipped)
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the procsnap module (go env GOMOD is %q)", gomod)
	}
	return filepath.Dir(gomod), nil
}
