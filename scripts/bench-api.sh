#!/bin/sh
# make bench, the Engine API: docker-py's containers.run("busybox", "true",
# remove=True) through swiftrun's service, beside the same through
# `podman system service`, beside the CLI's `swiftrun run --rm`. Prints the
# API's overhead per container and both services' idle resident memory.
# Medians of BENCH_RUNS runs. $2 is the venv's python with docker-py.
set -eu
# The venv's python by its own path: resolving its symlink would leave the venv.
bin=$(realpath "$1") python=$(cd "$(dirname "$2")" && pwd)/$(basename "$2") sample=$(realpath "$3")
runs=${BENCH_RUNS:-20}
work=$(mktemp -d /tmp/swiftrun-bench-api-XXXXXX)
export CONTAINERS_CONF="$(cd "$(dirname "$0")" && pwd)/podman-bench.conf"
podman="podman --root $work/podman --runroot $work/podman-run"
. "$(dirname "$0")/bench-work.sh"
cleanup() {
    [ -n "${swiftrun_pid:-}" ] && kill "$swiftrun_pid" 2>/dev/null || true
    [ -n "${podman_pid:-}" ] && kill "$podman_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    "$bin" --root "$work/store" rm -f $("$bin" --root "$work/store" ps -aq) >/dev/null 2>&1 || true
    $podman rm -f -a >/dev/null 2>&1 || true
    release_work "$work"
}
trap cleanup EXIT
"$bin" --root "$work/store" import "$sample" busybox >/dev/null
$podman import "$sample" busybox >/dev/null 2>&1

# swiftrun's service closes its stdout once it listens; podman's is polled for.
"$bin" --root "$work/store" system service --time 0 "unix://$work/swiftrun.sock" > "$work/ready" &
swiftrun_pid=$!
$podman system service --time 0 "unix://$work/podman.sock" >/dev/null 2>&1 &
podman_pid=$!

"$python" - "$bin" "$work" "$runs" "$swiftrun_pid" "$podman_pid" <<'PY'
import statistics, subprocess, sys, time, os
import docker, requests
binary, work, runs, swiftrun_pid, podman_pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

def ready(path):
    for _ in range(300):
        try:
            docker.DockerClient(base_url="unix://" + path).ping()
            return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"no service on {path}")

def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

def median_run(name, extra):
    # podman 4.3's service sometimes never answers the logs request that
    # containers.run makes after the wait (seen here, alone, 1 in ~20 runs):
    # such a run is counted and done again, so the bench still finishes.
    # swiftrun's service hanging is a bug of ours: that stops the bench.
    client = docker.DockerClient(base_url="unix://" + work + "/" + name + ".sock", timeout=30)
    times, hung = [], 0
    while len(times) < runs + 1:  # the first warms caches
        start = time.perf_counter()
        try:
            client.containers.run("busybox", "true", remove=True, **extra)
        except requests.exceptions.ReadTimeout:
            hung += 1
            if name == "swiftrun" or hung > runs:
                raise
            continue
        times.append(time.perf_counter() - start)
    if hung:
        print(f"{name}'s service did not answer {hung} time(s) within 30 s; those runs were done again")
    return statistics.median(times[1:])

ready(work + "/swiftrun.sock")
ready(work + "/podman.sock")
time.sleep(1)  # idle memory: after start-up settles, before any request
idle = {"swiftrun": rss(swiftrun_pid), "podman": rss(podman_pid)}
api = {"swiftrun": median_run("swiftrun", {}), "podman": median_run("podman", {"network_mode": "none"})}
cli = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run([binary, "--root", work + "/store", "run", "--rm", "busybox", "true"], check=True)
    cli.append(time.perf_counter() - start)
cli = statistics.median(cli)
print(f"{'engine API':<12} {'containers.run':>15} {'idle RSS':>10}")
for name in ("swiftrun", "podman"):
    print(f"{name:<12} {api[name]*1000:13.1f}ms {idle[name]:8.1f}MB")
print(f"swiftrun run --rm (CLI): {cli*1000:.1f}ms; the API's overhead per container {1000*(api['swiftrun']-cli):.1f}ms")
print(f"ratios swiftrun/podman: containers.run {api['swiftrun']/api['podman']:.2f}x, idle RSS {idle['swiftrun']/idle['podman']:.2f}x")
PY
