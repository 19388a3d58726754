#!/bin/sh
# vm-watch.sh [SECONDS]: runs in the guest beside the test bundle. When almost no
# process has been created for SECONDS (default 900), the run is stuck:
# every test starts swiftrun or another tool, and each command the tests run
# is killed after 600 s by their own Watchdog. It then prints what the guest
# is doing, each line prefixed "swiftrun-vm-hang:" for the host to show, and
# kills the bundle, so that the run ends now and says why, not at the
# host's hour with nothing said. (The bundle's own output is no measure of
# progress: Swift Testing prints each test's end only when the run ends.)
#
# What it prints: every process with its state and kernel wait channel; the
# kernel stack of each task in D or R state; and the bundle's threads' own
# stacks, from gdb.
limit=${1:-900}
say() { sed 's/^/swiftrun-vm-hang: /'; }
# The kernel's count of processes created since boot, into $forks, read
# with builtins only: each round below creates one process itself (sleep),
# and the kernel makes a worker thread now and then; a running suite
# creates hundreds a round.
read_forks() {
    while read -r name value; do
        if [ "$name" = processes ]; then forks=$value; return; fi
    done < /proc/stat
}
step=30
read_forks
last=$forks idle=0
# Polled: the absence of an event has no event to wait on.
while sleep "$step"; do
    read_forks
    # The host's sign that the guest still runs (vm-test.sh's frozen_limit).
    echo "vm-heartbeat: $((forks - last)) processes in ${step} s"
    if [ "$forks" -gt $((last + 6)) ]; then idle=0; else idle=$((idle + step)); fi
    last=$forks
    [ "$idle" -ge "$limit" ] || continue

    echo "almost no process created for $limit s; the processes:" | say
    ps -eo pid,ppid,stat,etimes,wchan:28,args --sort=pid | grep -v " \[.*\]$" | say
    for task in /proc/[0-9]*/task/[0-9]*; do
        state=$(awk '{ print $3 }' "$task/stat" 2>/dev/null) || continue
        case "$state" in D|R) ;; *) continue ;; esac
        { echo "kernel stack of $task ($(cat "$task/comm" 2>/dev/null)), state $state:"; cat "$task/stack" 2>/dev/null; } | say
    done
    for bundle in $(pgrep -f swiftrunPackageTests.xctest); do
        echo "threads of the test bundle, pid $bundle:" | say
        timeout 300 gdb -p "$bundle" -batch -nx -iex "set auto-load off" -ex "set print frame-arguments none" \
            -ex "thread apply all bt 16" 2>/dev/null | grep -E "^(Thread|#)" | swift-demangle --simplified | cut -c 1-240 | say
        kill -9 "$bundle"
    done
    exit 0
done
