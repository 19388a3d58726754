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
cleanup() {
    [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
    awk -v w="$work" '$5 ~ "^" w {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do umount "$m"; done
    for dir in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent; do rmdir "$dir/conmon" "$dir" 2>/dev/null || true; done
    rm -rf "$work"
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
podman="podman --root $work/podman --runroot $work/podman-run"
image="127.0.0.1:$port/bench:v1"

# Each run starts from an empty dir. The last run's output is moved aside,
# not deleted: on ext4, creating files right after deleting many is several
# times slower (the allocator skips recently freed inodes), which would
# measure the previous run's rm instead of the puller.
aside() { echo "sh -c 'mkdir -p $work/aside/\$\$ && for d in $*; do [ ! -e \$d ] || mv \$d $work/aside/\$\$/; done'"; }
hyperfine -N --style basic --runs "$runs" --export-json "$work/results.json" \
    --prepare "$(aside "$work/store")" -n swiftrun "$bin --root $work/store pull -q $image" \
    --prepare "$(aside "$work/skopeo" "$work/bundle")" \
    -n "skopeo + umoci" "sh -c 'skopeo copy -q --src-tls-verify=false docker://$image oci:$work/skopeo:bench && umoci unpack --image $work/skopeo:bench $work/bundle'" \
    --prepare "$(aside "$work/podman" "$work/podman-run")" -n podman "$podman pull -q --tls-verify=false $image" >/dev/null

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
