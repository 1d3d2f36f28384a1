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
	b.WriteString("`make bench` again (`BENCH_SIZE=...`, `BENCH_RUNS=...`, `BENCH_BIG=...`; `BENCH_QUICK=1` for a\n")
	b.WriteString("256 MiB run without the big target that only prints). Every figure below comes from one run of\n")
	b.WriteString("the harness: its targets, one after the other, and every tool on each.\n\n")

	b.WriteString("## Machine\n\n")
	m := r.Machine
	fmt.Fprintf(&b, "- CPU: %s, %d cores\n", m.CPU, m.Cores)
	fmt.Fprintf(&b, "- memory: %s\n", bytesIEC(float64(m.MemTotal)))
	fmt.Fprintf(&b, "- kernel: %s\n", m.Kernel)
	fmt.Fprintf(&b, "- load average (1, 5, 15 min) at start: %s; at end: %s\n", m.LoadStart, m.LoadEnd)
	for _, t := range m.Tools {
		fmt.Fprintf(&b, "- %s\n", t)
	}

	fmt.Fprintf(&b, "\n## Targets (issue 14; the offline verbs: issue 8), %s target (%s) and %s (one run)\n\n",
		bytesIEC(float64(r.Size)), runsPhrase(r.Runs), r.bigName())
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

// reading explains what bounds each target, whatever the figures of one
// run.
const reading = `## Reading the targets

- **Frozen vs the raw copy** is what procsnap controls. By default the freeze is one re-read of
  every resident page, in 256 KiB pieces on every core, a keyed fingerprint (HighwayHash) of each
  page while it is in the CPU cache, and a copy of the pages that changed into a page store faulted
  in before the freeze; plus a few milliseconds for maps, registers and a new plan. The raw copy
  reads the same memory into one pre-faulted buffer on 2 goroutines. So the freeze does the raw
  copy's reading plus a fingerprint of every page, and saves only the cache misses of writing into
  a buffer as large as the target: it meets this target only where those misses cost more than the
  fingerprint, or when fewer pages are re-read.
- **Frozen vs gcore** depends on the target: gcore stops it while it writes the whole core. Here the
  target has no PROT_NONE reservations, so gcore writes only its memory (on targets with large
  reservations it writes several times more and stops them for seconds). Re-reading and
  fingerprinting 2 GiB takes at least ~250 ms on two CPUs, so 5× shorter than gcore here needs a
  freeze that re-reads only the pages written since the pre-copy: that takes the kernel's write
  tracking, soft-dirty, which this kernel lacks (userfaultfd write-protection would need code run
  inside the target, which procsnap does not do). On kernels that have it, ` + "`--track-writes`" + ` does
  it (see the Debian 6.1 section below).
- **Wall vs zstd -1 -T2 of the same bytes**: the pre-copy compresses every page once at zstd's
  fastest level, and on this mix that alone costs procsnap about what zstd's whole run costs (the
  two compress text at about the same speed, recognise random pages as incompressible almost for
  free, and procsnap does not compress zero pages at all). The 1.25× bound thus leaves a quarter of
  zstd's time for everything else procsnap does: read the target twice, fingerprint every page
  twice, hash every page (xxh64) and the archive (SHA-256), compress the changed pages again, and
  fsync the archive (zstd does not sync its output).
- **Wall vs gcore + zstd**: gcore writes the whole core to a file that zstd then reads back and
  compresses; procsnap reads and compresses in one pass while the target runs. 1.8× faster means
  finishing well before zstd -1 -T2 alone finishes on the same bytes, while compressing them at
  the same level: on two CPUs procsnap's compression alone costs about zstd's whole run, so this
  bound needs more CPUs than zstd's two (procsnap compresses on every CPU) or a faster codec,
  which would break the archive bound.
- **Archive vs zstd -1** pays for random access (independent frames per chunk, 9 bytes of state and
  hash per page) and for the pages that changed during the capture: their pre-copied version
  stays in the archive beside the final one. ` + "`--level default`" + ` makes it smaller than zstd -1: see
  "Compression levels" below the figures of this harness.
- **Peak RSS beyond the changed pages**: procsnap keeps the pages that changed since the pre-copy
  until the thaw, so those grow with the target's write rate; the rest (a few reusable pre-copy
  buffers, 8 bytes of fingerprint per page, the part of the page store faulted in before the
  freeze, the compression workers) must stay within 256 MiB whatever the target's size.
- **On a loaded machine** every time stretches with the share of the CPUs each tool gets, and
  memory bandwidth varies from second to second: compare the ratios of one run, and read the load
  average under Machine and the monitor's noise floor under the figures before the times themselves.

`

const method = `## How each figure is measured

**The target** (cmd/psbench/target/target.c, built with the C compiler at run time) maps one private
anonymous region of the chosen size and writes every page of it: page i is zero when i%3 == 0, text
(words, log and HTTP fragments, numbers) when i%3 == 1, random (xorshift64*) when i%3 == 2. Zero
pages are written too, so they are resident and every tool has to read them. A monitor thread
loops reading CLOCK_MONOTONIC, sleeping 50 µs between readings, and keeps the longest gap between
two readings. A churn thread, while it is on, wakes every millisecond and rewrites K pages (` + "`-churn`" + `,
4 by default): each a random text or random page, 8 bytes of it overwritten in kind (digits, or
random bytes), so the mix of pages stays what it was and a capture always meets pages that change
under it, as on a busy program; a millisecond lost to a freeze is not made up. The harness talks to
the target through its stdin and stdout: ` + "`reset`" + ` forgets the longest gap, ` + "`stall`" + ` returns it
(after two more readings, so a freeze that just ended is counted), ` + "`churn on`" + ` and ` + "`churn off`" + `
start and stop the churn (off returns once no more writes come), ` + "`change N`" + ` flips one byte in each
of N distinct pages of the region's second half.

**Frozen, as the target measured it**: the monitor's longest gap between a ` + "`reset`" + ` sent just
before the tool starts and a ` + "`stall`" + ` sent after it exits. While any tool holds the target
stopped the monitor cannot run, so this is the stop as the frozen process felt it, measured the same
way for procsnap and gcore, and independent of what either tool says about itself. Its noise
floor (the longest gap over 0.25 s with nobody freezing the target) is listed under the figures:
on a loaded machine the scheduler alone produces gaps of a few milliseconds.

**Each run** measures, in this order and with the target churning, the noise floor, the raw copy,
procsnap capture (default mode), procsnap capture --freeze=whole, then gcore and zstd; the table
gives the median over the runs, with the lowest and highest figure in parentheses.

- **raw copy (the physical limit of a freeze)**: the harness reads /proc/PID/maps, takes every
  readable region except [vvar], [vvar_vclock] and [vsyscall] (reads there fail with EIO), maps
  one buffer of that size with MAP_POPULATE, cuts the regions into pieces of at most 8 MiB and
  copies them with process_vm_readv on 2 goroutines, twice: the figure is the time of the second
  copy alone. The first one pre-faults the buffer: in a paravirtualised VM such as this machine the
  kernel's first write to each page of a buffer costs an exit to the hypervisor even after
  MAP_POPULATE (1 GiB: 1.27 s the first time, 0.14 s the second), so only the second copy is the
  memory bandwidth a freeze can reach. The target is not stopped for it: a freeze that copies the
  memory it holds still cannot be shorter.
- **procsnap capture**: ` + "`procsnap capture --force --no-progress -q -o FILE PID`" + ` with the
  default options (` + "`--freeze=precopy`" + `). Wall is fork to exit (the archive is fsynced before exit);
  output is the archive file's size, superseded pre-copied pages included; peak RSS is ru_maxrss
  from wait4. Every program is started through cmd/psbench/target/launch.c, which forks it from its
  own small memory, times it and reads its rusage: Go starts programs with vfork, and Linux folds
  the parent's peak RSS into the child's ru_maxrss at exec, so without it every program would seem
  as large as the harness after its raw copy. The archive's end record gives procsnap's own figures:
  frozen_ns, precopy_bytes (read while the target ran), reread_bytes (read under the freeze) and
  changed_bytes (found changed since the pre-copy: the pages procsnap held until the thaw). Peak
  RSS is judged beyond changed_bytes, run by run.
- **procsnap capture --freeze=whole**: the same with ` + "`--freeze=whole`" + `, which copies everything
  while frozen into memory and compresses after the thaw: the mode before the pre-copy, for comparison.
- **gcore**: ` + "`gcore -o PREFIX PID`" + `; wall, core size and peak RSS as above (ru_maxrss covers
  gdb, which the gcore script waits for). Then **zstd**: ` + "`zstd -1 -T2 -q -f -o CORE.zst CORE`" + `,
  its time and output size: the same bytes procsnap compresses, from the page cache. gcore + zstd is
  the pair's wall time, the fair rival of procsnap's wall (both end with a compressed file of the
  target's memory).
- **the big target**: once the first target has exited, a second one of the same mix and churn,
  larger than half of the machine's memory (` + "`-big-size`" + `, by default MemTotal/2 rounded up to a whole
  GiB, plus 1 GiB), captured once by procsnap in its default mode (gcore and zstd too with
  ` + "`-big-gcore`" + `). No raw copy: its pre-faulted buffer would not fit beside the target. The harness
  first checks that MemAvailable holds the target plus 2 GiB and that the temp directory has room
  for an archive as large as the target (three times with ` + "`-big-gcore`" + `), and otherwise skips it
  and says why.
- **extract, verify, diff**: after the runs the churn stops; the harness captures archive A, tells
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

**Targets** (issue 14): frozen ≤ the raw copy and ≥ 5× shorter than gcore's; wall ≤ 1.25× zstd -1 -T2
of the same bytes and ≥ 1.8× faster than gcore + zstd; archive ≤ zstd -1 of gcore's core; peak RSS
≤ 256 MiB beyond the changed pages, on both targets. Issue 8's targets for the offline verbs stay:
extract of one page ≥ 50× faster than a full decompression; diff ≥ 10× faster. "n/a" means a figure
is missing (a tool is not installed, a target was skipped, or the step failed: the figures table
and the notes say which).

Temporary files live in one temp directory removed at the end; each target is killed on every path
(and exits by itself when its stdin closes).
`
