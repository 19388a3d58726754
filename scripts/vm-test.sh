#!/bin/sh
# make vm-test: prove the pure cgroup v2 path. Boots Debian's own kernel in
# QEMU with cgroup_no_v1=all, shares the host's / read-only (virtio-9p) under
# a tmpfs overlay, switches root into it and runs swiftrun's integration
# tests there with the binaries this host built. Exits non-zero if the
# guest does not report that they passed.
#
# The guest runs the whole suite by default (11-13 minutes under TCG): the
# cgroup tests take the pure v2 path there, and the rest prove that nothing
# else depends on the host's hybrid layout.
#
#   VM_ACCEL=tcg|kvm (default tcg: nested KVM here cannot run Debian's kernel)
#   VM_TESTS=<swift test --filter pattern> (default: every test)
#   VM_SKIP=<pattern> (default EngineAPITests: the API service has no path of its own
#   on cgroup v2, its containers start through the CLI. Alone, the suite runs in the
#   guest in 7 minutes (VM_TESTS=EngineAPITests VM_SKIP=none); inside the whole run, the
#   guest once did not finish within the hour, for a reason not yet found)
#   VM_INIT=sh|systemd (default sh: a shell runs the tests; systemd boots systemd as
#   pid 1 and runs them as its one unit)
#   VM_TIMEOUT=<seconds> bounds the whole boot and run (default 3600: the suite took
#   1309 s with the release binary, and 3379 s on a slow day with a debug one)
#   VM_IDLE_LIMIT=<seconds> with almost no process created before the guest reports what it is doing
#   and ends the run (default 900; scripts/vm-watch.sh)
#   VM_BOOT_LIMIT=<seconds> for the guest to start the tests before it is booted again
#   (default 300; twice at most)
#   VM_FROZEN_LIMIT=<seconds> with no line from the guest's user space on its console, the
#   watcher's heartbeat included, before it is booted again (default 600; within the same two)
#   VM_VERBOSE=1 prints the guest's console
#   SWIFTRUN_BIN=<path> the swiftrun the tests drive (default the release build, the one
#   that ships)
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${SWIFTRUN_BIN:-$repo/.build/release/swiftrun}
accel=${VM_ACCEL:-tcg}
# One host thread runs both vCPUs. With one thread each (thread=multi, about
# 1.5 times as fast), the guest hung twice in about twenty whole-suite runs:
# a vCPU went on executing kernel text that the kernel had since patched.
# Once, both vCPUs trapped for good on an int3 in ___slab_alloc (+0x833, the
# site of cpusets_enabled_key, which flips as the tests' cpuset cgroups come
# and go) while memory held the new jmp there; see also the boot spin below.
# The kernel patches its text about 550 times a run (static keys; the device
# filters' alone about 500), so the cure is the thread, not any one key.
[ "$accel" != tcg ] || accel=tcg,thread=single
filter=${VM_TESTS:-.}
skip=${VM_SKIP:-EngineAPITests}
init=${VM_INIT:-sh}
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
version=${kernel#/boot/vmlinuz-}
modules=/lib/modules/$version

work=$(mktemp -d /tmp/swiftrun-vm-XXXXXX)
trap 'rm -rf "$work"' EXIT
initramfs=$work/initramfs
mkdir -p "$initramfs/bin" "$initramfs/proc" "$initramfs/sys" "$initramfs/dev" "$initramfs/host" \
         "$initramfs/upper" "$initramfs/newroot" "$initramfs/modules"
cp /bin/busybox "$initramfs/bin/busybox"
for applet in sh mount mkdir insmod switch_root poweroff echo cat sleep cp rm; do ln -s busybox "$initramfs/bin/$applet"; done

# Modules in dependency order, from modules.dep.
loaded=""
add_module() {
    for dep in $(grep -E "(^|/)$1\.ko:" "$modules/modules.dep" | cut -d: -f2); do
        add_module "$(basename "$dep" .ko)"
    done
    case " $loaded " in *" $1 "*) return ;; esac
    loaded="$loaded $1"
    cp "$modules/$(grep -E "(^|/)$1\.ko:" "$modules/modules.dep" | cut -d: -f1)" "$initramfs/modules/$1.ko"
}
for module in overlay virtio_pci 9pnet 9pnet_virtio netfs fscache 9p; do add_module "$module"; done

# The test run, the same under either init: mounts for the tests, then the
# test bundle, then power off. The host reads the result from the console.
cat > "$initramfs/run-tests" <<RUN
# The host's /lib/modules is the guest's too: loop for the device tests, ext4
# for /tmp, where the tests keep their stores (tmpfs lacks user.* xattrs on 6.1).
modprobe loop; modprobe ext4; modprobe virtio_blk
# The checkout may itself live under /tmp: keep it in view across the new /tmp.
mkdir -p /run/repo; mount --bind $repo /run/repo
mount -t ext4 /dev/vda /tmp
mkdir -p $repo; mount --bind /run/repo $repo
ip link set lo up  # Foundation.Process wakes its run loop through a loopback socket pair
export PATH=/opt/swift/usr/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
ulimit -n 65536  # the tests spawn many processes with pipes; the default 1024 runs out
cd $repo
echo "swiftrun-vm: init \$(cat /proc/1/comm), cgroup controllers: \$(cat /sys/fs/cgroup/cgroup.controllers)"
# A run that stops creating processes is stuck: the watcher says what the
# guest is doing and ends it (scripts/vm-watch.sh), long before the host's timeout.
sh $repo/scripts/vm-watch.sh ${VM_IDLE_LIMIT:-900} &
# The test bundle runs directly: swift test would try to resolve packages, and the guest has no network.
SWIFTRUN_BIN=$bin SWIFTRUN_SAMPLE=$repo/rootfs-samples/out/busybox.tar \\
    SWIFTRUN_PROBE_IMAGE=$repo/rootfs-samples/out/probe.tar \\
    $repo/.build/debug/swiftrunPackageTests.xctest --testing-library swift-testing --filter "$filter" --skip "$skip" 2>&1
echo "swiftrun-vm: tests exited \$?"
poweroff -f -f
RUN

# VM_INIT=systemd: systemd boots as pid 1 and runs the tests as its only
# unit (no default target), for what needs systemd's API (--systemd-cgroup).
cat > "$initramfs/swiftrun-vm-test.service" <<UNIT
[Unit]
Description=swiftrun's tests under systemd
DefaultDependencies=no
[Service]
Type=oneshot
ExecStart=/bin/sh /etc/swiftrun-vm-test.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
UNIT

if [ "$init" = systemd ]; then
    # systemd mounts /proc, /sys, /dev, /run and the cgroup2 tree itself.
    # The host's /.dockerenv would make it a container's systemd, which
    # ignores the kernel's command line: the unit goes on its own.
    start='cp /swiftrun-vm-test.service /newroot/etc/systemd/system/
rm -f /newroot/.dockerenv
exec switch_root /newroot /lib/systemd/systemd --unit=swiftrun-vm-test.service --show-status=0'
else
    start="exec switch_root /newroot /bin/sh -c '
    mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
    mount -t cgroup2 cgroup2 /sys/fs/cgroup; mount -t tmpfs run /run
    mkdir -p /dev/shm /dev/pts; mount -t tmpfs shm /dev/shm; mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts; ln -sf pts/ptmx /dev/ptmx
    exec /bin/sh /etc/swiftrun-vm-test.sh'"
fi

cat > "$initramfs/init" <<INIT
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for module in $loaded; do insmod /modules/\$module.ko; done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro host0 /host
mount -t tmpfs -o size=3g upper /upper
mkdir -p /upper/data /upper/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/upper/data,workdir=/upper/work /newroot
cp /run-tests /newroot/etc/swiftrun-vm-test.sh
# pivot_root refuses the initramfs as the old root: switch_root moves to the overlay instead.
$start
INIT
chmod +x "$initramfs/init"
(cd "$initramfs" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$work/initramfs.cpio.gz"

# Boots the guest and runs the tests; 1 if it had not started them within
# $boot_limit seconds, 2 if its user space then printed nothing for
# $frozen_limit seconds (the guest's watcher prints a heartbeat every 30 s),
# when it is stopped. The kernel's own lines do not count: a guest whose
# vCPUs spin in its kernel still prints an RCU stall report every minute.
# A scratch disk for the guest's /tmp each time: sparse, so it costs only
# what the tests write.
log=$work/console.log
kernel_line='^\[ *[0-9.]*\]'  # the kernel's own lines on the console: "[  12.345678] ..."
boot_limit=${VM_BOOT_LIMIT:-300}
frozen_limit=${VM_FROZEN_LIMIT:-600}
boot() {
    rm -f "$work/tmp.ext4"
    truncate -s 8G "$work/tmp.ext4"
    mkfs.ext4 -q -F "$work/tmp.ext4"
    : > "$log"  # before the poll below: qemu's redirection is made in its own process
    timeout "${VM_TIMEOUT:-3600}" qemu-system-x86_64 -accel "$accel" -m 4096 -smp 2 -nographic -no-reboot \
        -drive file="$work/tmp.ext4",if=virtio,format=raw,cache=unsafe \
        -kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
        -append "console=ttyS0 cgroup_no_v1=all panic=-1 quiet loglevel=5 softlockup_panic=1 softlockup_all_cpu_backtrace=1 watchdog_thresh=60" \
        -virtfs local,path=/,mount_tag=host0,security_model=passthrough,id=host0,readonly=on,multidevs=remap > "$log" 2>&1 &
    qemu=$!
    waited=0
    # Polled with a deadline: the guest's console is a file, with no event to wait on.
    until grep -q "swiftrun-vm: init" "$log" || ! kill -0 "$qemu" 2>/dev/null; do
        if [ "$waited" -ge "$boot_limit" ]; then
            kill "$qemu"
            wait "$qemu" || true
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    last=-1 silent=0
    while kill -0 "$qemu" 2>/dev/null; do
        said=$(grep -vc "$kernel_line" "$log" || true)
        if [ "$said" = "$last" ]; then silent=$((silent + 10)); else last=$said silent=0; fi
        if [ "$silent" -ge "$frozen_limit" ]; then
            kill "$qemu"
            wait "$qemu" || true
            return 2
        fi
        sleep 10
    done
    wait "$qemu" || true
}
# Once, under a clean-clone CI, the guest never reached its test script:
# both vCPUs spun for 11 minutes after the kernel's ACPI set-up, printing
# nothing and tripping no lockup detector (QEMU's multi-threaded TCG, not
# the guest, by the look of it; it runs single-threaded now); the same boot
# took 6 s before and after.
# Nothing of swiftrun has run by then, so the guest is booted again, twice
# at most. A guest that freezes later, its own watcher's heartbeat stopped
# with everything else, is booted again too, and said so: a stuck test
# does not freeze the guest, whose watcher then ends the run and fails it.
for attempt in 1 2 3; do
    status=0
    boot || status=$?
    [ "$status" -ne 0 ] || break
    if [ "$status" -eq 1 ]; then
        echo "vm-test: the guest had not started the tests after ${boot_limit} s (boot $attempt of 3); its console:" >&2
    else
        echo "vm-test: the guest froze: its user space, heartbeat included, printed nothing for ${frozen_limit} s (boot $attempt of 3); its console:" >&2
    fi
    grep -A 40 -m 1 "rcu: INFO\|soft lockup" "$log" >&2 || tail -n 5 "$log" >&2
    [ "$attempt" -lt 3 ] || exit 1
done
grep -E "swiftrun-vm|✘|Test run|↳|^watchdog:" "$log" | grep -v "↳ ///" || { grep -v "$kernel_line  " "$log" | tail -n 40; exit 1; }
[ -z "${VM_VERBOSE:-}" ] || cat "$log"
# Twice so far, two swiftrun processes spun in the guest's
# kernel on both vCPUs until the timeout, with no trace at the quiet
# console level. A soft lockup now panics the guest, and its backtraces
# (loglevel=5 shows them) are printed here. It must last two minutes
# (watchdog_thresh=60; the kernel's default is 20 s): once a clean-clone CI
# failed on one at 20 s while a container's child sat in openat2 and the
# other vCPU was patching kernel text (a static key flipping, which TCG
# makes slow), and four runs of the whole suite on the same machine did
# not see it again, nor any hang.
# The whole console of a failed run stays in .build/vm-console.log.
grep -q "swiftrun-vm: tests exited 0" "$log" || {
    cp "$log" "$repo/.build/vm-console.log"
    grep -A 60 -m 1 "soft lockup" "$log" || grep -v "$kernel_line  \|swiftrun-vm-hang:" "$log" | tail -n 30
    exit 1
}
