#!/usr/bin/env bash
# capture.sh regenerates the procfs fixtures from three real processes on this machine: the
# multi-threaded C program src/threads.c, the Go test binary of ./procfs running as a target
# (TestHelperThreads), and bash. See README. Run from anywhere; needs gcc and go.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=/tmp/procsnap-fixture # fixed, so that paths in the fixtures are stable
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

rm -rf "$work" && mkdir -p "$work"
mkfifo "$work/hold" # opened read-write as stdin: a read that blocks until the target is killed

# Harmless environment: the environ fixtures hold only these variables.
clean=(env -i PATH=/usr/bin:/bin HOME=/nonexistent LANG=C.UTF-8)

# start LOG CMD...: runs CMD in $work in the background, its output in $work/LOG.
start() {
	local log=$1; shift
	(cd "$work" && exec "${clean[@]}" "$@" <>"$work/hold" >"$work/$log" 2>&1) &
	pids+=($!)
}

# wait_ready LOG: waits until the target writing LOG has printed "ready".
wait_ready() {
	for _ in $(seq 100); do grep -q ready "$work/$1" && return; sleep 0.1; done
	echo "target $1 did not start" >&2; exit 1
}

# snap PID: copies what procfs reads of process PID into $here/PID.
snap() {
	local pid=$1 dst=$here/$1
	mkdir -p "$dst/task"
	for f in maps smaps status stat cmdline environ auxv comm; do cat "/proc/$pid/$f" >"$dst/$f"; done
	for l in exe cwd root; do ln -s "$(readlink "/proc/$pid/$l")" "$dst/$l"; done
	for t in /proc/"$pid"/task/*; do
		mkdir "$dst/task/${t##*/}"
		for f in status stat comm; do cat "$t/$f" >"$dst/task/${t##*/}/$f"; done
	done
}

gcc -Wall -O2 -pthread -o "$work/thread target" "$here/src/threads.c"
(cd "$repo" && go test -c -o "$work/procfs.test" ./procfs)

start c.log "$work/thread target" "$work"
start go.log env PROCSNAP_HELPER_THREADS=4 "$work/procfs.test" -test.run='^TestHelperThreads$'
start bash.log bash --norc --noprofile -c 'read -r line; exit 0'
wait_ready c.log
wait_ready go.log
sleep 1
rm "$work/thread target" # its exe link and maps lines now end in " (deleted)"

find "$here" -mindepth 1 -maxdepth 1 -name '[0-9]*' -exec rm -rf {} +
rm -rf "$here/sys" "$here/stat"
for p in "${pids[@]}"; do snap "$p"; done

mkdir -p "$here/sys/kernel/random"
for f in hostname osrelease version arch random/boot_id; do cat "/proc/sys/kernel/$f" >"$here/sys/kernel/$f"; done
cat /proc/stat >"$here/stat"
echo "captured: ${pids[*]} (C, Go, bash)"
