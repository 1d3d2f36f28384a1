package main

import (
	"fmt"
	"strings"
)

// Document is docs/PERFORMANCE.md: the machine, the targets, every figure
// and how each one is measured.
func (r *Report) Document() string {
	var b strings.Builder
	b.WriteString("# procsnap performance\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (cmd/psbench) on %s. Do not edit by hand: run\n", r.Date.UTC().Format("2006-01-02 15:04 MST"))
	b.WriteString("`make bench` again (`BENCH_SIZE=...`, `BENCH_RUNS=...`; `BENCH_QUICK=1` for a 256 MiB run that\n")
	b.WriteString("only prints). Every figure below comes from one run of the harness on one target.\n\n")

	b.WriteString("## Machine\n\n")
	m := r.Machine
	fmt.Fprintf(&b, "- CPU: %s, %d cores\n", m.CPU, m.Cores)
	fmt.Fprintf(&b, "- memory: %s\n", bytesIEC(float64(m.MemTotal)))
	fmt.Fprintf(&b, "- kernel: %s\n", m.Kernel)
	fmt.Fprintf(&b, "- load average (1, 5, 15 min) at start: %s; at end: %s\n", m.LoadStart, m.LoadEnd)
	for _, t := range m.Tools {
		fmt.Fprintf(&b, "- %s\n", t)
	}

	fmt.Fprintf(&b, "\n## Targets (issue 8), %s target, %s\n\n", bytesIEC(float64(r.Size)), runsPhrase(r.Runs))
	b.WriteString(r.ChecksTable())
	b.WriteString("\n## Figures\n\n")
	b.WriteString(r.FiguresTable())
	b.WriteString("\n")
	for _, n := range r.FigureNotes() {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	b.WriteString("\n")
	b.WriteString(reading)
	b.WriteString(method)
	return b.String()
}

// runsPhrase is "median of N runs", or "one run".
func runsPhrase(n int) string {
	if n == 1 {
		return "one run"
	}
	return fmt.Sprintf("median of %d runs", n)
}

// reading explains the targets that the physics of this kind of machine
// decides, whatever the figures of one run.
const reading = `## Reading the targets

- **Frozen vs the raw copy** is what procsnap controls: the freeze is the copy into a buffer faulted
  in beforehand, plus a few milliseconds for maps, registers and the pagemap plan.
- **Frozen vs gcore** depends on the target: gcore stops it while it writes the whole core. Here the
  target has no PROT_NONE reservations, so gcore writes only its 2 GiB (on targets with large
  reservations it writes several times more and stops them for seconds). The ratio cannot exceed
  gcore's frozen time over the raw copy, the physical floor of any freeze.
- **Wall vs gcore + zstd** is bound by compression: on two cores zstd's fastest level runs at
  about 1 GB/s on this mix, in procsnap as in the zstd CLI, and procsnap also pre-faults its copy
  buffer (the price of a short freeze), hashes every page and the archive, and fsyncs it.
- **Archive vs zstd -1** pays for random access: independent frames per chunk and 9 bytes of state
  and hash per page.

`

const method = `## How each figure is measured

**The target** (cmd/psbench/target/target.c, built with the C compiler at run time) maps one private
anonymous region of the chosen size and writes every page of it: page i is zero when i%3 == 0, text
(words, log and HTTP fragments, numbers) when i%3 == 1, random (xorshift64*) when i%3 == 2. Zero
pages are written too, so they are resident and every tool has to read them. A monitor thread
loops reading CLOCK_MONOTONIC, sleeping 50 µs between readings, and keeps the longest gap between
two readings. The harness talks to the target through its stdin and stdout: ` + "`reset`" + ` forgets
the longest gap, ` + "`stall`" + ` returns it (after two more readings, so a freeze that just ended is
counted), ` + "`change N`" + ` flips one byte in each of N distinct pages of the region's second half.

**Frozen, as the target measured it**: the monitor's longest gap between a ` + "`reset`" + ` sent just
before the tool starts and a ` + "`stall`" + ` sent after it exits. While any tool holds the target
stopped the monitor cannot run, so this is the stop as the frozen process felt it, measured the same
way for procsnap and gcore, and independent of what either tool says about itself. Its noise
floor (the longest gap over 0.25 s with nobody freezing the target) is listed under the figures:
on a loaded machine the scheduler alone produces gaps of a few milliseconds.

**Each run** measures, in this order, the raw copy, procsnap capture, then gcore and zstd; the
table gives the median over the runs, with the lowest and highest figure in parentheses.

- **raw copy (the physical limit of a freeze)**: the harness reads /proc/PID/maps, takes every
  readable region except [vvar], [vvar_vclock] and [vsyscall] (reads there fail with EIO), maps
  one buffer of that size with MAP_POPULATE (pre-faulted, so the tool's own page faults are not
  timed), cuts the regions into pieces of at most 8 MiB and copies them with process_vm_readv on
  2 goroutines. The figure is the time of the copy alone. The target is not stopped for it: no
  freeze can be shorter than copying the memory it must hold still.
- **procsnap capture**: ` + "`procsnap capture --force --no-progress -q -o FILE PID`" + ` with the
  default options. Wall is fork to exit (the archive is fsynced before exit); output is the archive
  file's size; peak RSS is ru_maxrss from wait4. Every program is started through
  cmd/psbench/target/launch.c, which forks it from its own small memory, times it and reads its
  rusage: Go starts programs with vfork, and Linux folds the parent's peak RSS into the child's
  ru_maxrss at exec, so without it every program would seem as large as the harness after its raw
  copy. procsnap pre-faults a copy buffer the size of the target's readable memory (plus 1/16 and
  16 MiB of room), so its RSS is judged beyond that buffer: the size comes from the archive's end
  record (` + "`buffer_bytes`" + ` in its extra fields) when procsnap records it, and is otherwise
  computed the way procsnap sizes it by default from the readable memory the harness found (noted
  beside the figures; it can only overstate the buffer by the target's untouched pages, a few
  hundred KiB here).
- **gcore**: ` + "`gcore -o PREFIX PID`" + `; wall, core size and peak RSS as above (ru_maxrss covers
  gdb, which the gcore script waits for). Then **zstd**: ` + "`zstd -1 -T2 -q -f -o CORE.zst CORE`" + `,
  its time and output size. gcore + zstd is the pair's wall time, the fair rival of procsnap's
  wall (both end with a compressed file of the target's memory).
- **extract, verify, diff**: after the runs, the last capture is archive A; the harness tells
  the target to change N pages and captures archive B. Each run then times, as processes:
  ` + "`procsnap extract --addr PAGE --range PAGE-PAGE+4096 -o OUT A`" + ` (one text page a quarter into the
  region, where no change writes, checked against the live target's page), ` + "`procsnap verify A`" + ` (exit 0
  expected) and ` + "`procsnap diff A B`" + ` (exit 1, "different", expected).
- **full decompression**, the reference for those three: a Go function in the harness that opens
  A with format.Open and calls format.Reader.ReadRange over every region, one chunk after the other
  on one goroutine. It decompresses and checks every chunk (record checksum, size and page hashes),
  as a tool that needs the whole snapshot must. It runs in-process, so it pays no process start,
  while extract, verify and diff are timed as whole processes: the ratios are conservative.
  All archives sit in the page cache (just written), for the reference and the verbs alike.

**Targets**: frozen ≤ 1.2× the raw copy and ≥ 8× shorter than gcore's; wall ≤ (gcore + zstd) / 2.2;
archive ≤ zstd -1 of gcore's core; peak RSS beyond the copy buffer ≤ 100 MiB; extract of one page
≥ 50× faster than a full decompression; diff ≥ 10× faster. "n/a" means a figure is missing (a tool
is not installed, or the step failed: the figures table says which).

Temporary files live in one temp directory removed at the end; the target is killed on every path
(and exits by itself when its stdin closes).
`
