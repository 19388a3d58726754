#!/bin/sh
# make bench, part 3: pull of an image of about 100 MB in 3 layers from a
# registry on 127.0.0.1 (Debian's docker-registry), side by side with
# `skopeo copy` to an OCI layout followed by `umoci unpack`, and with
# `podman pull`. Every run starts from an empty store.
set -eu
bin=$(realpath "$1") sample=$(realpath "$2")
runs=${BENCH_PULL_RUNS:-5}

work=$(mktemp -d /tmp/swiftrun-bench-pull-XXXXXX)
registry_pid=""
. "$(dirname "$0")/bench-work.sh"
cleanup() {
    [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
    rm -rf /run/sr-bench-*
    release_work "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<CONF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: 127.0.0.1:$port}
CONF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!

# Three layers: the busybox sample, then two of about 50 MB each from the
# host's /usr/share and /usr/lib (real files, compressible as real images are).
pick() { (cd "$1" && du -s ./* 2>/dev/null | sort -n | awk -v max="$2" '{ if (sum + $1 < max * 1024) { sum += $1; print $2 } }'); }
tar -C /usr/share -cf "$work/share.tar" $(pick /usr/share 50)
tar -C /usr/lib -cf "$work/lib.tar" $(pick /usr/lib 50)
umoci init --layout "$work/oci" >/dev/null
umoci new --image "$work/oci:bench" >/dev/null
umoci raw add-layer --image "$work/oci:bench" "$sample" >/dev/null
umoci raw add-layer --image "$work/oci:bench" "$work/share.tar" >/dev/null
umoci raw add-layer --image "$work/oci:bench" "$work/lib.tar" >/dev/null
until skopeo copy -q --dest-tls-verify=false "oci:$work/oci:bench" "docker://127.0.0.1:$port/bench:v1" 2>/dev/null; do
    kill -0 "$registry_pid" || { cat "$work/registry.log"; exit 1; }
done
compressed=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$port/bench:v1" |
             python3 -c 'import json, sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))')
uncompressed=$(cat "$sample" "$work/share.tar" "$work/lib.tar" | wc -c)

export CONTAINERS_CONF="$work/containers.conf"
printf '[engine]\nevents_logger = "file"\n' > "$CONTAINERS_CONF"
image="127.0.0.1:$port/bench:v1"

# Rounds alternate the three pullers, so each meets the filesystem in the
# same state: on ext4, creating files soon after many were deleted is several
# times slower (the allocator skips recently freed inodes), and hyperfine's
# one-command-after-another order would give that cost to whoever runs first.
# Each run starts from a new, empty dir; nothing is deleted until the end.
python3 - "$work" "$runs" "$work/results.json" <<PY
import json, os, subprocess, sys, time
work, runs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
pullers = {
    "swiftrun": lambda d: ["$bin", "--root", d + "/store", "pull", "-q", "$image"],
    "skopeo + umoci": lambda d: ["sh", "-c", f"skopeo copy -q --src-tls-verify=false docker://$image oci:{d}/oci:bench && umoci unpack --image {d}/oci:bench {d}/bundle"],
    # podman limits its runroot to 50 characters: keep that one short, under /run.
    "podman": lambda d: ["podman", "--root", d + "/podman", "--runroot", "/run/sr-bench-" + os.path.basename(d), "pull", "-q", "--tls-verify=false", "$image"],
}
times = {name: [] for name in pullers}
for round in range(runs):
    for index, (name, command) in enumerate(pullers.items()):
        directory = f"{work}/runs/{round}-{index}"
        os.makedirs(directory)
        start = time.perf_counter()
        subprocess.run(command(directory), check=True, stdout=subprocess.DEVNULL)
        times[name].append(time.perf_counter() - start)
json.dump({"results": [{"command": n, "median": sorted(t)[len(t) // 2]} for n, t in times.items()]}, open(out, "w"))
PY

python3 - "$work/results.json" "$compressed" "$uncompressed" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
mb = int(sys.argv[2]) / 1e6
ours = results["swiftrun"]["median"]
print(f"pull of an image of {int(sys.argv[3]) / 1e6:.0f} MB in 3 layers ({mb:.0f} MB gzip) from a registry on 127.0.0.1")
print(f"{'puller':<16} {'median':>9} {'MB/s':>8} {'swiftrun is':>12}")
for name in ["swiftrun", "skopeo + umoci", "podman"]:
    r = results[name]
    print(f"{name:<16} {r['median']*1000:7.0f}ms {mb / r['median']:8.1f} {r['median'] / ours:11.2f}x faster")
PY
python3 "$(dirname "$0")/bench-record.py" pull "$work/results.json" swiftrun podman
