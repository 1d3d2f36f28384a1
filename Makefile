# procsnap build, test and benchmark entry points. See README.md.
GO        ?= go
# VERSION: the semantic version from the latest vX.Y.Z tag plus the commit
# (scripts/version.sh says how; docs/CLI.md, "Versions and releases").
VERSION   ?= $(shell sh scripts/version.sh)
LDFLAGS   := -s -w -X main.stamped=$(VERSION)
PREFIX    ?= /usr/local
FUZZTIME  ?= 60s
BENCH_SIZE ?= 2GiB
BENCH_RUNS ?= 3
BENCH_QUICK ?= 0
BENCH_DOC ?= docs/PERFORMANCE.md
# BENCH_BIG: the big target's size (auto: just over half of MemTotal; 0: none);
# BENCH_BIG_GCORE=1 also runs gcore and zstd on it (three times its size on disk).
BENCH_BIG ?= auto
BENCH_BIG_GCORE ?= 0
# BENCH_QUICK=1: a 256 MiB target and no big one (unless BENCH_SIZE or
# BENCH_BIG is given) and the table printed only (unless BENCH_DOC is given).
ifeq ($(BENCH_QUICK),1)
ifeq ($(origin BENCH_SIZE),file)
BENCH_SIZE := 256MiB
endif
ifeq ($(origin BENCH_BIG),file)
BENCH_BIG := 0
endif
ifeq ($(origin BENCH_DOC),file)
BENCH_DOC :=
endif
endif

# KERNELS are the Debian kernel packages make test-kernels boots (a
# metapackage names its current versioned image); see docs/KERNELS.md.
KERNELS ?= linux-image-amd64

.PHONY: build test test-kernels fuzz bench install demo clean vet

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o procsnap ./cmd/procsnap

# test runs every test, including live captures under ptrace (needs root or
# CAP_SYS_PTRACE; CI runs as root).
test:
	$(GO) vet ./...
	GOOS=darwin $(GO) build -o /dev/null ./cmd/procsnap   # the offline verbs build on every OS
	$(GO) test -count=1 -timeout 15m ./...

# test-kernels runs the live tests of procfs, ptrace and capture inside
# each of KERNELS, booted under QEMU (TCG) from Debian's own package, and
# prints a table per test (needs root for apt-get download the first time,
# qemu-system-x86, cpio, xz, gcc with a static libc; .ci/run installs them).
test-kernels:
	$(GO) run ./cmd/kerneltest -kernels '$(KERNELS)'

vet:
	$(GO) vet ./...

# fuzz runs each fuzz target for FUZZTIME, then the fault suite in its long
# mode (more signal points, 20,000 hostile archives; about 15 minutes).
# Each new interesting input is minimized for at most 20 runs of the target:
# with a time bound (10s, and Go's default of 60s) FuzzOfflineVerbs, whose
# every run drives eleven verbs and finds new coverage every few seconds,
# spent nearly all its time minimizing (71 inputs run in 60 s, against
# 21,000 in 45 s with 20 runs).
fuzz:
	@set -e; for spec in $$($(GO) test -list '^Fuzz' ./... 2>/dev/null | awk '/^Fuzz/{f[n++]=$$1} /^ok/{for(i=0;i<n;i++) print $$2":"f[i]; n=0}' ); do \
		pkg=$${spec%%:*}; fn=$${spec##*:}; \
		echo "== $$pkg $$fn ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 20x $$pkg; \
	done
	PROCSNAP_LONG=1 $(GO) test -count=1 -timeout 60m -run '^TestFault' ./cmd/procsnap/

# bench measures procsnap against gcore (+ zstd -1 -T2) and the raw-copy
# limit on one BENCH_SIZE target (median of BENCH_RUNS runs), then
# procsnap alone on a BENCH_BIG target, prints the table and writes
# BENCH_DOC; then, outside quick mode, the format and procfs
# micro-benchmarks and procsnap yara against yara on a raw file (printed;
# docs/PERFORMANCE.md's yara section is written from it by hand). Needs root
# (ptrace), cc, gdb, zstd and yara.
bench: build
	$(GO) run ./cmd/psbench -procsnap ./procsnap -size $(BENCH_SIZE) -runs $(BENCH_RUNS) -big-size $(BENCH_BIG) $(if $(filter 1,$(BENCH_BIG_GCORE)),-big-gcore) $(if $(BENCH_DOC),-doc $(BENCH_DOC))
ifneq ($(BENCH_QUICK),1)
	$(GO) test -run '^$$' -bench . -benchtime 3x ./format/ ./procfs/
	$(GO) test -run '^$$' -bench Throughput -benchtime 5x ./snapshot/yarascan/
endif

install: build
	install -D -m 0755 procsnap $(DESTDIR)$(PREFIX)/bin/procsnap

# demo builds procsnap and the bundled demo target, captures the target and
# shows the archive, step by step (scripts/demo.sh), in a private temporary
# directory that it removes.
demo: build
	@GO='$(GO)' sh scripts/demo.sh ./procsnap

# clean also removes what an interrupted demo of this user left in TMPDIR
# (and the files older demos left in the tree and in /tmp).
clean:
	rm -f procsnap demo.psnap testdata/demo/demo
	@find "$${TMPDIR:-/tmp}" -maxdepth 1 -name 'procsnap-demo.*' -user "$$(id -u)" -exec rm -rf {} + 2>/dev/null || true
