#!/bin/sh
# make bench, detached containers: `run -d` until the id is printed, the
# monitor's resident memory, and `stop` of a container that exits on TERM,
# each beside podman (whose monitor is conmon); then `exec CTR true` beside
# podman exec and runc exec on a running runc container. Medians of
# BENCH_RUNS runs.
set -eu
bin=$(realpath "$1") sample=$(realpath "$2")
runs=${BENCH_RUNS:-20}
work=$(mktemp -d /tmp/swiftrun-bench-detached-XXXXXX)
. "$(dirname "$0")/bench-work.sh"
cleanup() {
    "$bin" --root "$work/store" rm -f $("$bin" --root "$work/store" ps -aq) >/dev/null 2>&1 || true
    runc --root "$work/runc" delete -f bench-exec >/dev/null 2>&1 || true
    if [ -n "${podman:-}" ]; then $podman rm -f -a >/dev/null 2>&1 || true; fi
    release_work "$work"
}
trap cleanup EXIT
"$bin" --root "$work/store" import "$sample" busybox >/dev/null

# runc's bundle for exec: busybox, sleeping, no terminal.
mkdir -p "$work/bundle/rootfs"
tar -C "$work/bundle/rootfs" -xf "$sample"
(cd "$work/bundle" && runc spec)
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["process"]["terminal"] = False
spec["process"]["args"] = ["sleep", "1000"]
json.dump(spec, open(sys.argv[1], "w"))
PY

# podman as in bench.sh: ulimits this host allows, runc, cgroupfs.
export CONTAINERS_CONF="$(cd "$(dirname "$0")" && pwd)/podman-bench.conf"
podman="podman --root $work/podman --runroot $work/podman-run"
$podman import "$sample" busybox >/dev/null 2>&1

python3 - "$bin" "$work/store" "$podman" "$runs" "$work" <<'PY'
import statistics, subprocess, sys, time
binary, store, podman, runs, work = sys.argv[1], sys.argv[2], sys.argv[3].split(), int(sys.argv[4]), sys.argv[5]
swiftrun = [binary, "--root", store]
term = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]

def timed(command):
    start = time.perf_counter()
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()
    return time.perf_counter() - start, out

def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def parent(pid):
    return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])

rows = {}
for name, engine, inspect_pid, monitor_of in [
    ("swiftrun", swiftrun, lambda c: subprocess.run(swiftrun + ["inspect", c], capture_output=True, text=True).stdout.split('"Pid":')[1].split(",")[0], parent),
    ("podman", podman, lambda c: subprocess.run(podman + ["inspect", "--format", "{{.State.ConmonPid}}", c], capture_output=True, text=True).stdout.strip(), lambda p: p),
]:
    starts, stops, memory = [], [], []
    for i in range(runs):
        network = ["--network", "none"] if name == "podman" else []  # swiftrun's containers have only lo so far
        elapsed, container = timed(engine + ["run", "-d"] + network + ["busybox"] + term)
        starts.append(elapsed)
        memory.append(rss(monitor_of(int(inspect_pid(container)))))
        # TERM before the shell has set its trap ends it too: either way the container exits on TERM.
        elapsed, _ = timed(engine + ["stop", container])
        stops.append(elapsed)
        subprocess.run(engine + ["rm", "-f", container], capture_output=True)
    rows[name] = (statistics.median(starts), statistics.median(memory), statistics.median(stops))

print(f"{'detached':<10} {'run -d':>10} {'monitor RSS':>12} {'stop (TERM)':>12}")
for name, (start, memory, stop) in rows.items():
    print(f"{name:<10} {start*1000:9.1f}ms {memory/1024:10.2f}MB {stop*1000:10.1f}ms")
s, p = rows["swiftrun"], rows["podman"]
print(f"ratios swiftrun/podman: run -d {s[0]/p[0]:.2f}x, monitor RSS {s[1]/p[1]:.2f}x (vs conmon), stop {s[2]/p[2]:.2f}x")

# exec CTR true: a container of each, then the exec alone, timed.
runc = ["runc", "--root", work + "/runc"]
subprocess.run(runc + ["run", "-d", "-b", work + "/bundle", "bench-exec"], check=True,
               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
swiftrun_ctr = timed(swiftrun + ["run", "-d", "busybox", "sleep", "1000"])[1]
podman_ctr = timed(podman + ["run", "-d", "--network", "none", "busybox", "sleep", "1000"])[1]
execs = {}
for name, command in [
    ("swiftrun", swiftrun + ["exec", swiftrun_ctr, "true"]),
    ("runc", runc + ["exec", "bench-exec", "true"]),
    ("podman", podman + ["exec", podman_ctr, "true"]),
]:
    timed(command)  # warm the page cache and swiftrun's seccomp cache
    execs[name] = statistics.median(timed(command)[0] for _ in range(runs))
print(f"{'exec true':<10} " + "  ".join(f"{name} {t*1000:.1f}ms" for name, t in execs.items()))
print(f"ratios: swiftrun/runc {execs['swiftrun']/execs['runc']:.2f}x, swiftrun/podman {execs['swiftrun']/execs['podman']:.2f}x")
PY
