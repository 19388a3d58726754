# Sourced by the benches: release_work WORK gives back what a bench made
# under WORK. podman leaves its storage mounted, and its exit command
# (`podman container cleanup`, which conmon starts when a container ends)
# may still be running when the bench ends: it would mount the storage
# again behind our unmount, and `rm -rf` then meets a busy mount (seen in
# make bench). So: wait for every process that names WORK to be gone (at
# most 30 s), unmount what lies under WORK, deepest first, until nothing
# does (a mount still busy goes lazily), remove podman's empty cgroup
# parents, then WORK.
release_work() {
    tries=300
    while [ "$tries" -gt 0 ] && pgrep -f -- "$1" >/dev/null; do
        tries=$((tries - 1))
        sleep 0.1
    done
    for pass in 1 2 3 4 5; do
        mounts=$(awk -v w="$1" '$5 ~ "^" w {print $5}' /proc/self/mountinfo | sort -r)
        [ -n "$mounts" ] || break
        for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m"; done
    done
    for dir in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent; do rmdir "$dir/conmon" "$dir" 2>/dev/null || true; done
    rm -rf "$1"
}
