#!/usr/bin/env python3
"""bench-rounds.py RUNS WARMUP OUT -n NAME COMMAND [-n NAME COMMAND ...]

Times each COMMAND (split as a shell would, run without one, its output
discarded) in rounds: every round runs every row once, starting one row
further along each time. hyperfine runs one row after another, so a row
pays for what the rows before it left behind: on this kind of VM's
journal-less ext4, every inode freed in the last minutes is skipped, one
by one, by each new allocation (recently_deleted), and a kernel's deferred
namespace teardown runs into the next command. In rounds, every row meets
the same state. A command that fails stops the bench, as in hyperfine.

Writes hyperfine's --export-json shape (results[].command, median, mean,
stddev, times; seconds) to OUT."""
import json, os, shlex, statistics, sys, time

runs, warmup, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rest = sys.argv[4:]
rows = []
while rest:
    if rest[0] != "-n" or len(rest) < 3:
        sys.exit("bench-rounds.py: expected -n NAME COMMAND, got " + " ".join(rest[:3]))
    rows.append((rest[1], shlex.split(rest[2])))
    rest = rest[3:]

null = os.open(os.devnull, os.O_RDWR)
actions = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]


def once(argv):
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench-rounds.py: {shlex.join(argv)} exited with {os.waitstatus_to_exitcode(status)}")
    return elapsed


times = {name: [] for name, _ in rows}
for round in range(warmup + runs):
    for index in range(len(rows)):
        name, argv = rows[(round + index) % len(rows)]
        elapsed = once(argv)
        if round >= warmup:
            times[name].append(elapsed)

results = [{"command": name, "median": statistics.median(times[name]), "mean": statistics.mean(times[name]),
            "stddev": statistics.stdev(times[name]) if len(times[name]) > 1 else 0.0, "times": times[name]}
           for name, _ in rows]
json.dump({"results": results}, open(out, "w"))
