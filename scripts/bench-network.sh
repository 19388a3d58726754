#!/bin/sh
# make bench, networking: TCP throughput (iperf3, 3 s each) from the host
# through a published port, and from container to container on a user
# network, beside the host's own loopback. Start-up with none, the bridge
# and -p is in bench.sh. The containers run the host's iperf3, its /usr
# bound read-only, so both ends are the same program everywhere.
set -eu
bin=$1
sample=$2
work=$(mktemp -d /tmp/swiftrun-bench-net.XXXXXX)
store="$work/store"
network="bench-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
host_server=""
cleanup() {
    [ -z "$host_server" ] || kill "$host_server" 2>/dev/null || true
    "$bin" --root "$store" rm -f bench-published bench-server >/dev/null 2>&1 || true
    "$bin" --root "$store" network rm "$network" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
"$bin" --root "$store" import "$sample" busybox >/dev/null
mounts="-v /usr:/usr:ro -v /usr/lib64:/lib64:ro -v /usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro"

# iperf3 -J's received rate, in Gbit/s; or, if the run failed, iperf3's
# reason on stderr and a failed bench (its JSON then has no rate).
rate() {
    python3 -c 'import json,sys
run = json.load(sys.stdin)
if "error" in run: sys.exit("bench-network: iperf3 " + sys.argv[1] + ": " + run["error"])
print("%.2f" % (run["end"]["sum_received"]["bits_per_second"] / 1e9))' "$1"
}
# Waits for an iperf3 server's "Server listening" line in a container's log.
listening() { until "$bin" --root "$store" logs "$1" 2>&1 | grep -q "Server listening"; do :; done; }

iperf3 -s -p 15201 >/dev/null 2>&1 &
host_server=$!
# iperf3 -J exits 0 even when it could not connect: the JSON says so.
until iperf3 -c 127.0.0.1 -p 15201 -t 3 -J > "$work/loopback.json" 2>/dev/null && ! grep -q '"error"' "$work/loopback.json"; do :; done
loopback=$(rate "over loopback" < "$work/loopback.json")

# shellcheck disable=SC2086
"$bin" --root "$store" run -d --name bench-published -p 127.0.0.1:15202:5201 $mounts busybox /usr/bin/iperf3 -s --forceflush >/dev/null
listening bench-published
published=$(iperf3 -c 127.0.0.1 -p 15202 -t 3 -J | rate "to the published port")

"$bin" --root "$store" network create "$network" >/dev/null
# shellcheck disable=SC2086
"$bin" --root "$store" run -d --name bench-server --network "$network" $mounts busybox /usr/bin/iperf3 -s --forceflush >/dev/null
listening bench-server
# shellcheck disable=SC2086
between=$("$bin" --root "$store" run --rm --network "$network" $mounts busybox /usr/bin/iperf3 -c bench-server -t 3 -J | rate "between containers")

python3 - "$loopback" "$published" "$between" <<'PY'
import sys
loopback, published, between = map(float, sys.argv[1:])
print(f"{'TCP throughput (iperf3, 3 s)':<40} {'Gbit/s':>8} {'vs loopback':>12}")
print(f"{'host loopback':<40} {loopback:8.2f} {1:11.2f}x")
print(f"{'host -> published port (127.0.0.1)':<40} {published:8.2f} {published / loopback:11.2f}x")
print(f"{'container -> container, user network':<40} {between:8.2f} {between / loopback:11.2f}x")
PY
