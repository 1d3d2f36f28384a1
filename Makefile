# procsnap build, test and benchmark entry points. See README.md.
GO        ?= go
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
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

.PHONY: build test fuzz bench install demo clean vet

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o procsnap ./cmd/procsnap

# test runs every test, including live captures under ptrace (needs root or
# CAP_SYS_PTRACE; CI runs as root).
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

vet:
	$(GO) vet ./...

# fuzz runs each fuzz target for FUZZTIME, then the fault suite in its long
# mode (more signal points, 20,000 hostile archives; about 15 minutes).
fuzz:
	@set -e; for spec in $$($(GO) test -list '^Fuzz' ./... 2>/dev/null | awk '/^Fuzz/{f[n++]=$$1} /^ok/{for(i=0;i<n;i++) print $$2":"f[i]; n=0}' ); do \
		pkg=$${spec%%:*}; fn=$${spec##*:}; \
		echo "== $$pkg $$fn ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s $$pkg; \
	done
	PROCSNAP_LONG=1 $(GO) test -count=1 -timeout 60m -run '^TestFault' ./cmd/procsnap/

# bench measures procsnap against gcore (+ zstd -1 -T2) and the raw-copy
# limit on one BENCH_SIZE target (median of BENCH_RUNS runs), then
# procsnap alone on a BENCH_BIG target, prints the table and writes
# BENCH_DOC; then, outside quick mode, the format and procfs
# micro-benchmarks. Needs root (ptrace), cc, gdb and zstd.
bench: build
	$(GO) run ./cmd/psbench -procsnap ./procsnap -size $(BENCH_SIZE) -runs $(BENCH_RUNS) -big-size $(BENCH_BIG) $(if $(filter 1,$(BENCH_BIG_GCORE)),-big-gcore) $(if $(BENCH_DOC),-doc $(BENCH_DOC))
ifneq ($(BENCH_QUICK),1)
	$(GO) test -run '^$$' -bench . -benchtime 3x ./format/ ./procfs/
endif

install: build
	install -m 0755 procsnap $(DESTDIR)$(PREFIX)/bin/procsnap

# demo builds procsnap and the bundled demo target, captures the target and
# lists the archive.
demo: build
	@set -e; $(GO) build -o testdata/demo/demo ./testdata/demo; \
	testdata/demo/demo > /tmp/procsnap-demo.pid & \
	sleep 1; pid=$$(cat /tmp/procsnap-demo.pid); \
	trap 'kill $$pid 2>/dev/null' EXIT; \
	./procsnap capture --force -o demo.psnap $$pid; \
	./procsnap list demo.psnap | head -20; \
	./procsnap verify demo.psnap; \
	./procsnap search --string 'quick brown fox' demo.psnap

clean:
	rm -f procsnap demo.psnap testdata/demo/demo
