#!/bin/sh
# make bench, part 3: a real Debian base (debootstrap --variant=minbase, many
# small files, hardlinks, xattrs), made once from the machine's own Debian
# mirror and cached. `swiftrun import` of its gzip layer beside `tar -xzf`
# into a fresh dir, and `swiftrun load` of a 3-layer docker-archive of it
# beside `podman load` into a fresh overlay store.
#   BENCH_CACHE=<dir> (default /var/cache/swiftrun-bench) keeps the base.
set -eu
bin=$(realpath "$1")
runs=${BENCH_DEBIAN_RUNS:-5}
cache=${BENCH_CACHE:-/var/cache/swiftrun-bench}
base=$cache/debian-minbase.tar

if [ ! -s "$base" ]; then
    mkdir -p "$cache"
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    build=$(mktemp -d /tmp/swiftrun-debootstrap-XXXXXX)
    debootstrap --variant=minbase bookworm "$build/rootfs" "${mirror:-http://deb.debian.org/debian}" >/dev/null
    tar -C "$build/rootfs" --numeric-owner --xattrs -cf "$base.tmp" .
    mv "$base.tmp" "$base"
    rm -rf "$build"
fi

work=$(mktemp -d /tmp/swiftrun-bench-debian-XXXXXX)
. "$(dirname "$0")/bench-freshfs.sh"
freshfs_init "$work"
gzip -6 -c "$base" > "$work/layer.tar.gz"
mb=$(( $(stat -c %s "$base") / 1000000 ))

# A docker-archive of three layers (usr, then var and etc, then the rest),
# as `docker save` writes it: tars as they are, a config, a manifest.
python3 - "$base" "$work/archive" <<'PY'
import hashlib, io, json, os, sys, tarfile
source, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
parts = [[], [], []]
with tarfile.open(source) as t:
    for m in t.getmembers():
        top = m.name.lstrip("./").split("/")[0]
        parts[0 if top == "usr" else 1 if top in ("var", "etc") else 2].append(m)
    diff_ids, layers = [], []
    for i, members in enumerate(parts):
        path = os.path.join(out, f"layer{i}.tar")
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as w:
            for m in members:
                w.addfile(m, t.extractfile(m) if m.isfile() else None)
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
        diff_ids.append("sha256:" + digest)
        layers.append(f"layer{i}.tar")
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/bash"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
name = hashlib.sha256(config).hexdigest() + ".json"
open(os.path.join(out, name), "wb").write(config)
json.dump([{"Config": name, "RepoTags": ["bench/debian:latest"], "Layers": layers}], open(os.path.join(out, "manifest.json"), "w"))
PY
tar -C "$work/archive" -cf "$work/debian.tar" .
rm -rf "$work/archive"

hyperfine -N --style basic --runs "$runs" --export-json "$work/results.json" --prepare "sh -c '$fresh'" \
    -n "swiftrun import" "$bin --root $fs/store import $work/layer.tar.gz debian" \
    -n "tar -xzf" "sh -c 'mkdir $fs/tar-out && tar -C $fs/tar-out -xzf $work/layer.tar.gz'" \
    -n "tar -xzf, sync" "sh -c 'mkdir $fs/tar-out && tar -C $fs/tar-out -xzf $work/layer.tar.gz && sync -f $fs/tar-out'" \
    -n "swiftrun load" "$bin --root $fs/store load -q -i $work/debian.tar" \
    -n "podman load" "podman --root $fs/podman --runroot $work/podman-run --storage-driver overlay load -q -i $work/debian.tar" >/dev/null

python3 - "$work/results.json" "$mb" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"a Debian minbase layer ({sys.argv[2]} MB of files)")
print(f"{'':<16} {'median':>9} {'ratio':>7}  (goal)")
print(f"{'swiftrun import':<16} {r['swiftrun import']*1000:7.0f}ms {r['swiftrun import']/r['tar -xzf']:6.2f}x  (<= 0.5 of tar -xzf)")
print(f"{'tar -xzf':<16} {r['tar -xzf']*1000:7.0f}ms")
# swiftrun syncs a layer before it is kept (a crash never leaves half of one); tar and podman do not.
print(f"{'tar -xzf, sync':<16} {r['tar -xzf, sync']*1000:7.0f}ms  (swiftrun import is {r['swiftrun import']/r['tar -xzf, sync']:.2f}x of it: tar made as durable)")
print(f"{'swiftrun load':<16} {r['swiftrun load']*1000:7.0f}ms {r['swiftrun load']/r['podman load']:6.2f}x  (<= 0.3 of podman load)")
print(f"{'podman load':<16} {r['podman load']*1000:7.0f}ms")
PY
python3 "$(dirname "$0")/bench-record.py" "Debian base" "$work/results.json" "swiftrun import" "tar -xzf" "swiftrun load" "podman load"
