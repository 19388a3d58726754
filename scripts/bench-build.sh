#!/bin/sh
# make bench, part 4: a cold build and a fully cached rebuild of a 6-step
# Dockerfile (rootfs-samples/web, less its comments and ARG), side by side
# with `podman build` (overlay storage, runc, no network).
set -eu
bin=$(realpath "$1") sample=$(realpath "$2") web=$(realpath "$(dirname "$0")/../rootfs-samples/web")
runs=${BENCH_BUILD_RUNS:-5}

work=$(mktemp -d /tmp/swiftrun-bench-build-XXXXXX)
. "$(dirname "$0")/bench-work.sh"
cleanup() {
    release_work "$work"
}
trap cleanup EXIT

mkdir -p "$work/context"
cp -r "$web/site" "$work/context/"
cat > "$work/context/Dockerfile" <<'DOCKERFILE'
FROM localhost/busybox
WORKDIR /srv/app
COPY site/ ./site/
RUN echo hello > greeting.txt && mkdir -p /var/www
ENV GREETING=hello
CMD ["httpd", "-f", "-p", "8080", "-h", "/srv/app/site"]
DOCKERFILE

store="$work/store"
podman="podman --root $work/podman --runroot $work/podman-run --storage-driver overlay --cgroup-manager cgroupfs --events-backend file"
$podman import "$sample" localhost/busybox >/dev/null 2>&1
podman_build="$podman build -q --runtime runc --network none --pull=never -t web $work/context"
seed="$bin --root $store import $sample localhost/busybox"

hyperfine -N --style basic --runs "$runs" --export-json "$work/results.json" \
    --prepare "sh -c 'rm -rf $store && $seed >/dev/null'" -n "swiftrun cold" "$bin --root $store build -q -t web $work/context" \
    --prepare "sh -c '$podman rmi -f web >/dev/null 2>&1; $podman image prune -f >/dev/null 2>&1; true'" -n "podman cold" "$podman_build --no-cache" \
    --prepare "true" -n "swiftrun cached" "$bin --root $store build -q -t web $work/context" \
    --prepare "true" -n "podman cached" "$podman_build" >/dev/null

python3 - "$work/results.json" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
print("build of a 6-step Dockerfile (FROM, WORKDIR, COPY, RUN, ENV, CMD)")
print(f"{'builder':<16} {'median':>9} {'swiftrun is':>12}")
for kind in ["cold", "cached"]:
    ours = results[f"swiftrun {kind}"]["median"]
    for name in [f"swiftrun {kind}", f"podman {kind}"]:
        r = results[name]
        print(f"{name:<16} {r['median']*1000:7.0f}ms {r['median'] / ours:11.2f}x faster")
PY
python3 "$(dirname "$0")/bench-record.py" build "$work/results.json" "swiftrun cold" "podman cold" "swiftrun cached" "podman cached"
