#!/bin/sh
# make bench: start-up latency of `run --rm busybox /bin/true`, side by side
# in one run with crun, runc, podman and the bare namespace
# floor, all on the same rootfs, timed in rounds (bench-rounds.py). Prints
# medians and the ratio to crun.
set -eu
bin=$(realpath "$1") sample=$(realpath "$2")
runs=${BENCH_RUNS:-50}

work=$(mktemp -d /tmp/swiftrun-bench-XXXXXX)
. "$(dirname "$0")/bench-work.sh"
cleanup() {
    release_work "$work"
}
trap cleanup EXIT
note_tables "$work"

# Everyone's state on one new ext4 (a sparse loop image, direct I/O), with
# a journal, as mkfs and Debian's installer make it. This VM's root has
# none, and there ext4 skips every inode freed in the last minutes, one by
# one, for each new one (recently_deleted, bench-freshfs.sh). Podman's rows
# make and free hundreds a run, and slowed the other rows by how many
# inodes those make: swiftrun's 7.0 -> 8.8 ms, crun's 21 -> 25, the
# floor's not at all. In the same rounds beside podman, a store on the
# root took 6.56 ms a run, one on a journaled ext4 5.94; crun, its state
# and bundle on the root, 17.2 ms against 10.3 (its wrapper, 4.1, in
# both): on the root, the allocator was half of what crun itself cost.
# Made once here; release_work unmounts it with the rest of WORK.
. "$(dirname "$0")/bench-freshfs.sh"
freshfs_command "$work"
sh -c "$fresh"
state=$fs

# The same rootfs for everyone: the busybox sample.
mkdir -p "$state/bundle/rootfs" "$state/store"
tar -C "$state/bundle/rootfs" -xf "$sample"
"$bin" --root "$state/store" import "$sample" busybox >/dev/null

# An OCI bundle for crun and runc: their default spec, running /bin/true.
(cd "$state/bundle" && runc spec)
python3 - "$state/bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
spec = json.load(open(path))
spec["process"]["terminal"] = False
spec["process"]["args"] = ["/bin/true"]
spec["root"]["readonly"] = False
json.dump(spec, open(path, "w"), indent=2)
PY

# swiftrun-oci is runc's command line on the same bundle as runc and crun:
# what an engine (podman, containerd, dockerd) pays for the runtime itself.
# swiftrun with its default walls (capabilities, the seccomp filter from its
# cache, masked paths, the device cgroup) and without them (--privileged):
# the difference is what hardening costs. --explain's row shows what the
# narration costs when on (through a shell, to drop stderr); off, it is one
# untaken branch per step.
# The runtimes below get a network namespace with lo only, so swiftrun's
# main row is --network none; the bridge rows add a veth on swiftrun0 (and
# a DNAT entry for -p), teardown included.
"$bin" --root "$state/store" run --rm busybox /bin/true  # compiles and caches the filter once, makes swiftrun0
set -- \
    -n swiftrun "$bin --root $state/store run --rm --network none busybox /bin/true" \
    -n swiftrun-bridge "$bin --root $state/store run --rm busybox /bin/true" \
    -n swiftrun-publish "$bin --root $state/store run --rm -p 127.0.0.1:18999:80 busybox /bin/true" \
    -n swiftrun-privileged "$bin --root $state/store run --rm --network none --privileged busybox /bin/true" \
    -n swiftrun-explain "sh -c '$bin --root $state/store run --rm --network none --explain=json busybox /bin/true 2>/dev/null'" \
    -n swiftrun-limits "$bin --root $state/store run --rm --network none --memory 256m --pids-limit 200 --cpus 1 busybox /bin/true" \
    -n swiftrun-oci "$bin oci --root $state/oci run -b $state/bundle bench-oci" \
    -n runc "runc --root $state/runc run -b $state/bundle bench-runc" \
    -n floor "unshare -m -u -i -n -p -f chroot $state/bundle/rootfs /bin/true"

# crun wants cgroup v2 alone; on a hybrid host, hide the v2 mount in a
# private mount namespace (the host's hierarchies are never touched).
# The wrapper alone is a row too: issue 15's goal is against crun itself,
# its row minus the wrapper.
if grep -q " /sys/fs/cgroup/unified " /proc/self/mountinfo; then
    set -- "$@" -n crun "unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified && exec crun --root $state/crun run -b $state/bundle bench-crun'"
    set -- "$@" -n crun-wrapper "unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified && exec true'"
else
    set -- "$@" -n crun "crun --root $state/crun run -b $state/bundle bench-crun"
fi

# podman joins when it is installed. On a host without CAP_SYS_RESOURCE (this
# kind of VM) its default ulimits cannot be set, so it gets a private
# containers.conf with ulimits the host allows, runc and cgroupfs.
if command -v podman >/dev/null 2>&1; then
    export CONTAINERS_CONF="$(cd "$(dirname "$0")" && pwd)/podman-bench.conf"
    podman="podman --root $state/podman --runroot $state/podman-run"
    $podman import "$sample" busybox >/dev/null 2>&1 || true
    podman_run="$podman run --rm --network none busybox /bin/true"
    if reason=$($podman_run 2>&1); then
        set -- "$@" -n podman "$podman_run"
        # The same podman with swiftrun as its OCI runtime, through conmon.
        set -- "$@" -n podman-swiftrun "$podman --runtime $bin run --rm --network none busybox /bin/true"
        # Its bridge (netavark) and a published port, beside swiftrun's.
        for row in "podman-bridge:--network bridge" "podman-publish:--network bridge -p 127.0.0.1:18998:80"; do
            command="$podman run --rm ${row#*:} busybox /bin/true"
            if reason=$($command 2>&1); then set -- "$@" -n "${row%%:*}" "$command"; else echo "${row%%:*}: skipped: $(echo "$reason" | tail -n 1)"; fi
        done
    else
        echo "podman: skipped: $(echo "$reason" | tail -n 1)"
    fi
fi

# In rounds, not hyperfine's one row after another (bench-rounds.py says why).
# What the build and the setup above left dirty is written back first, so
# no row is timed beside the kernel's writeback of it.
sync
python3 "$(dirname "$0")/bench-rounds.py" "$runs" 5 "$work/results.json" "$@"

python3 - "$work/results.json" <<'PY'
import json, sys
document = json.load(open(sys.argv[1]))
results = {r["command"]: r for r in document["results"]}
crun = results["crun"]["median"]
print(f"{'runtime':<20} {'median':>9} {'mean':>9} {'stddev':>8} {'vs crun':>8}")
for name in ["swiftrun", "swiftrun-bridge", "swiftrun-publish", "swiftrun-privileged", "swiftrun-explain", "swiftrun-limits", "swiftrun-oci", "crun", "crun-wrapper", "runc", "podman", "podman-swiftrun", "podman-bridge", "podman-publish", "floor"]:
    if name in results:
        r = results[name]
        print(f"{name:<20} {r['median']*1000:8.2f}ms {r['mean']*1000:8.2f}ms {r['stddev']*1000:7.2f}ms {r['median']/crun:7.2f}x")
bridge = (results["swiftrun-bridge"]["median"] - results["swiftrun"]["median"]) * 1000
publish = (results["swiftrun-publish"]["median"] - results["swiftrun-bridge"]["median"]) * 1000
print(f"the default bridge costs {bridge:.2f} ms at the median (goal: 3), -p {publish:.2f} ms more (goal: 2)")
if "podman-bridge" in results:
    podman_bridge = (results["podman-bridge"]["median"] - results["podman"]["median"]) * 1000
    print(f"podman's bridge costs {podman_bridge:.2f} ms")
oci = results["swiftrun-oci"]["median"]
print(f"as an OCI runtime (run -b on runc's bundle): {oci*1000:.2f} ms, {oci/results['runc']['median']:.2f}x runc, {oci/crun:.2f}x crun")
if "podman-swiftrun" in results:
    print(f"podman with swiftrun as its runtime: {results['podman-swiftrun']['median']/results['podman']['median']:.2f}x podman with runc")
if "crun-wrapper" in results:
    # A row of its own in the results, for bench-record.py: crun's median
    # less its wrapper's, as the issue's goal counts it.
    itself = crun - results["crun-wrapper"]["median"]
    document["results"].append({"command": "crun-itself", "median": itself})
    json.dump(document, open(sys.argv[1], "w"))
    print(f"crun itself (its row less the {results['crun-wrapper']['median']*1000:.2f} ms wrapper): {itself*1000:.2f} ms;"
          f" swiftrun is {results['swiftrun']['median']/itself:.2f}x crun itself (goal: 0.5)")
hardening = (results["swiftrun"]["median"] - results["swiftrun-privileged"]["median"]) * 1000
print(f"hardening costs {hardening:.2f} ms at the median (default walls vs --privileged)")
limits = (results["swiftrun-limits"]["median"] - results["swiftrun"]["median"]) * 1000
print(f"--memory --pids-limit --cpus cost {limits:.2f} ms at the median (every container has its cgroups; these only write limits)")
PY
python3 "$(dirname "$0")/bench-record.py" start-up "$work/results.json" swiftrun crun swiftrun crun-itself swiftrun-oci runc swiftrun-bridge podman-bridge
