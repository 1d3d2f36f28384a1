package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/procsnap/procsnap/snapshot/elfcore"
	"github.com/spf13/pflag"
)

const exportCoreUsage = `Usage: procsnap export-core [-o CORE] [--force] ARCHIVE

Write the snapshot in ARCHIVE as an ELF core file (x86-64) that gdb, readelf
and other ELF tools open:  gdb EXECUTABLE CORE

Every captured thread becomes a thread in gdb (the thread-group leader first),
with its general-purpose, FPU and XSAVE registers. Memory that is not in the
archive (unreadable, not captured, regions skipped or cut off) is left out of
the file: gdb reads it as zeros, or from the mapped file when it exists on
this machine. The core is written sequentially (-o - streams it to stdout),
with mode 0600; an existing file is replaced only with --force.

Exit codes: 0 written, 1 failure (a partial core is removed), 2 usage,
130/143 interrupted by SIGINT/SIGTERM (a partial core is removed).
`

type exportCoreOpts struct {
	output string
	force  bool
	quiet  bool
	keys   archiveKeys
}

func exportCoreFlags(o *exportCoreOpts, stdout io.Writer) *pflag.FlagSet {
	fs := newFlagSet("export-core", exportCoreUsage, stdout)
	fs.StringVarP(&o.output, "output", "o", "", `core file path, "-" for stdout (default ARCHIVE.core)`)
	fs.BoolVar(&o.force, "force", false, "replace an existing regular file (a device, FIFO or socket is written to as it is)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only errors")
	o.keys.flag(fs)
	return fs
}

func runExportCore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o exportCoreOpts
	fs := exportCoreFlags(&o, stdout)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if err := o.keys.load(); err != nil {
		return err
	}
	archive := fs.Arg(0)
	name := o.output
	if name == "" && archive == "-" {
		return usagef("give -o: with the archive on standard input there is no name to derive the output's from")
	}
	if name == "" {
		name = archive + ".core"
	}
	if err := refuseArchiveAsOutput(name, archive); err != nil {
		return err
	}
	r, err := openArchive(archive, &o.keys)
	if err != nil {
		return err
	}
	defer r.Close()
	core, err := elfcore.Plan(r)
	if err != nil {
		return fmt.Errorf("%s: %w", archive, err)
	}
	if !o.quiet {
		for _, w := range core.Summary().Warnings {
			fmt.Fprintf(stderr, "procsnap export-core: warning: %s\n", w)
		}
	}
	if err := writeCore(ctx, core, name, o.force, stdout); err != nil {
		return err
	}
	if !o.quiet {
		printCoreSummary(stderr, core.Summary(), name, r.Meta().Exe)
	}
	return nil
}

// writeCore writes the core to name (see output.go). A file that does not
// hold a whole core is removed; a device, FIFO or socket keeps what was
// written to it.
func writeCore(ctx context.Context, core *elfcore.Core, name string, force bool, stdout io.Writer) error {
	out, err := openOutput(name, force, stdout, "a core file")
	if err != nil {
		return err
	}
	err = core.Write(ctx, out.w)
	if err == nil {
		err = out.commit()
	}
	if err != nil {
		note := out.abort()
		if ce := interruptedWith(ctx, fmt.Errorf("%v: %s", context.Cause(ctx), note)); ce != nil {
			return ce
		}
		return fmt.Errorf("write %s: %w (%s)", name, err, note)
	}
	return nil
}

func printCoreSummary(w io.Writer, s elfcore.Summary, name, exe string) {
	fmt.Fprintf(w, "procsnap: %s, %s: %s of memory in the file, %s not (read as zeros); core %s\n",
		plural(s.Threads, "thread"), plural(s.Segments, "segment"), human(s.FileBytes), human(s.HoleBytes), human(uint64(s.Size)))
	if name == "-" {
		return
	}
	fmt.Fprintf(w, "procsnap: wrote %s; open it with: gdb EXECUTABLE %s", name, name)
	if exe != "" {
		fmt.Fprintf(w, " (the target ran %s)", strconv.Quote(exe))
	}
	fmt.Fprintln(w)
}
