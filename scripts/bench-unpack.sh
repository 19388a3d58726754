#!/bin/sh
# make bench, part 2: layer unpack throughput (MB/s of uncompressed tar) of
# `swiftrun import` beside `tar -xzf` and `umoci unpack`, on one gzip layer
# of about 100 MB made from the host's /usr/share, each into a fresh ext4.
set -eu
bin=$(realpath "$1")
runs=${BENCH_UNPACK_RUNS:-5}

work=$(mktemp -d /tmp/swiftrun-bench-unpack-XXXXXX)
. "$(dirname "$0")/bench-freshfs.sh"
freshfs_init "$work"

# Whole /usr/share entries, smallest first, up to 100 MB.
picked=$(cd /usr && du -s share/* 2>/dev/null | sort -n | awk '{ if (sum + $1 < 100 * 1024) { sum += $1; print $2 } }')
tar -C /usr -cf "$work/layer.tar" $picked
gzip -1 -c "$work/layer.tar" > "$work/layer.tar.gz"
bytes=$(stat -c %s "$work/layer.tar")

umoci init --layout "$work/oci" >/dev/null
umoci new --image "$work/oci:bench" >/dev/null
umoci raw add-layer --image "$work/oci:bench" "$work/layer.tar" >/dev/null

hyperfine -N --style basic --runs "$runs" --export-json "$work/results.json" \
    --prepare "sh -c '$fresh'" \
    -n swiftrun "$bin --root $fs/store import $work/layer.tar.gz bench" \
    -n "tar -xzf" "sh -c 'mkdir $fs/tar-out && tar -C $fs/tar-out -xzf $work/layer.tar.gz'" \
    -n "umoci unpack" "umoci unpack --image $work/oci:bench $fs/bundle" >/dev/null

python3 - "$work/results.json" "$bytes" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
mb = int(sys.argv[2]) / 1e6
tar = results["tar -xzf"]["median"]
print(f"unpack of a {mb:.0f} MB layer (gzip)")
print(f"{'unpacker':<14} {'median':>9} {'MB/s':>8} {'vs tar':>8}")
for name in ["swiftrun", "tar -xzf", "umoci unpack"]:
    r = results[name]
    print(f"{name:<14} {r['median']*1000:7.0f}ms {mb / r['median']:8.1f} {tar / r['median']:7.2f}x")
PY
python3 "$(dirname "$0")/bench-record.py" "unpack (/usr/share)" "$work/results.json" swiftrun "tar -xzf"
