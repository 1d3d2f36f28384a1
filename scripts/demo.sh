#!/bin/sh
# demo.sh is `make demo`: it builds the bundled demo target (testdata/demo),
# starts it, captures it with procsnap and shows what the archive holds.
# Everything it creates is in a private temporary directory (mktemp -d),
# removed on exit; the demo target is stopped and waited for before the
# script returns, so nothing is printed after make does.
#
# Usage: GO=go sh scripts/demo.sh PATH-TO-PROCSNAP
set -eu

GO=${GO:-go}
procsnap=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")

step() { printf '\n== %s\n' "$*"; }
fail() {
	echo "procsnap demo: $*" >&2
	exit 1
}

# ptrace permission: Yama's ptrace_scope 1 lets a process trace its own
# descendants and those that allow it (the demo target allows this
# script's children); 2 needs CAP_SYS_PTRACE; 3 forbids ptrace.
scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
if [ "$scope" -ge 3 ]; then
	fail "ptrace is disabled on this machine (kernel.yama.ptrace_scope is 3): no process can be captured"
elif [ "$scope" -ge 2 ] && [ "$(id -u)" -ne 0 ]; then
	fail "kernel.yama.ptrace_scope is 2: only root (or CAP_SYS_PTRACE) can capture a process; run make demo as root"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/procsnap-demo.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "Building the demo target, a small Go program that plants a known sentence in its memory."
"$GO" build -o "$tmp/demo" ./testdata/demo
cd "$tmp"

step "Starting it in the background: this is the process procsnap will capture."
"$tmp/demo" >demo.out 2>&1 &
pid=$!
# The target prints its PID once its memory is filled in: wait for that,
# and check that it is the process started here.
tries=0
while [ ! -s demo.out ]; do
	kill -0 "$pid" 2>/dev/null || { pid=; fail "the demo target exited: $(cat demo.out)"; }
	tries=$((tries + 1))
	[ "$tries" -le 100 ] || fail "the demo target did not start within 10 seconds"
	sleep 0.1
done
said=$(head -n 1 demo.out)
[ "$said" = "$pid" ] || fail "the demo target says it is PID $said, but the process started was PID $pid"
echo "The demo target runs as PID $pid."

step "Capturing it into demo.psnap: the process is frozen only while its memory is copied, and the last line is the archive's SHA-256 for your notes."
"$procsnap" capture --no-progress -o demo.psnap "$pid" 2>&1

step "Listing the archive's regions, one per line of /proc/$pid/maps, with what was captured of each and why the rest was not."
"$procsnap" list demo.psnap

step "Verifying every hash in the archive."
"$procsnap" verify demo.psnap

step "Searching the archive for the planted sentence: each match shows its address, region, offset in the region and bytes."
"$procsnap" search --context 0 --string 'quick brown fox' demo.psnap

step "Stopping the demo target and removing the temporary directory."
kill "$pid"
wait "$pid" || true
pid=
