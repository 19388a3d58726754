#!/bin/sh
# make bench, beside Docker where it is installed (Debian's docker.io is not
# in the bench's packages: installing it starts a dockerd whose iptables
# rules drop every other runtime's forwarded traffic). Start-up of
# `run --rm busybox /bin/true` with no network, the default bridge and -p,
# swiftrun's and Docker's in one hyperfine run. Docker runs privately: its
# own data root, exec root, socket and bridge (swrbench0, made and removed
# here), no iptables rules (-p then goes through docker-proxy, Docker's
# userland proxy), and is stopped by its pid at the end.
set -eu
bin=$(realpath "$1") sample=$(realpath "$2")
runs=${BENCH_DOCKER_RUNS:-15}
client=/usr/bin/docker
if ! command -v dockerd >/dev/null 2>&1 || [ ! -x "$client" ]; then
    echo "docker: skipped: Debian's docker.io is not installed"
    exit 0
fi

work=$(mktemp -d /tmp/swiftrun-bench-docker-XXXXXX)
bridge=swrbench0
dockerd_pid=""
. "$(dirname "$0")/bench-work.sh"
cleanup() {
    if [ -n "$dockerd_pid" ]; then
        kill "$dockerd_pid" 2>/dev/null || true
        # dockerd stops its containerd, then itself; wait for it by its pid.
        while kill -0 "$dockerd_pid" 2>/dev/null; do :; done
    fi
    ip link delete "$bridge" 2>/dev/null || true
    release_work "$work"
}
trap cleanup EXIT

ip link add "$bridge" type bridge
ip address add 10.213.0.1/24 dev "$bridge"
ip link set "$bridge" up
dockerd --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/dockerd.pid" \
    -H "unix://$work/docker.sock" --storage-driver vfs --iptables=false --bridge "$bridge" \
    >"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
docker="$client -H unix://$work/docker.sock"
until $docker version >/dev/null 2>&1; do
    kill -0 "$dockerd_pid" 2>/dev/null || { echo "docker: skipped: dockerd did not start: $(tail -n 1 "$work/dockerd.log")"; exit 0; }
done
$docker import "$sample" busybox >/dev/null
mkdir "$work/store"
"$bin" --root "$work/store" import "$sample" busybox >/dev/null

hyperfine -N --style basic --warmup 2 --runs "$runs" --export-json "$work/results.json" \
    -n swiftrun "$bin --root $work/store run --rm --network none busybox /bin/true" \
    -n swiftrun-bridge "$bin --root $work/store run --rm busybox /bin/true" \
    -n swiftrun-publish "$bin --root $work/store run --rm -p 127.0.0.1:18996:80 busybox /bin/true" \
    -n docker "$docker run --rm --network none busybox /bin/true" \
    -n docker-bridge "$docker run --rm busybox /bin/true" \
    -n docker-publish "$docker run --rm -p 127.0.0.1:18995:80 busybox /bin/true" >/dev/null

python3 - "$work/results.json" <<'PY'
import json, sys
results = {r["command"]: r["median"] * 1000 for r in json.load(open(sys.argv[1]))["results"]}
print(f"{'beside Docker 20.10':<20} {'median':>9} {'vs docker':>10}")
for mode in ["", "-bridge", "-publish"]:
    for runtime in ["swiftrun", "docker"]:
        name = runtime + mode
        print(f"{name:<20} {results[name]:8.2f}ms {results[name] / results['docker' + mode]:9.2f}x")
for runtime in ["swiftrun", "docker"]:
    bridge = results[runtime + "-bridge"] - results[runtime]
    publish = results[runtime + "-publish"] - results[runtime + "-bridge"]
    print(f"{runtime}: the bridge costs {bridge:.2f} ms, -p {publish:.2f} ms more")
PY
python3 "$(dirname "$0")/bench-record.py" "beside Docker" "$work/results.json" swiftrun docker swiftrun-publish docker-publish
