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
    give_back_tables "$1"
    rm -rf "$1"
}

# podman's bridge (netavark) leaves the iptables-nft tables `ip nat` and
# `ip filter` behind, holding only its own chains. note_tables WORK keeps
# the host's list of nftables tables; release_work then deletes a table
# that was not on it only if every chain in it is netavark's or a base
# chain, so nobody else's rules go with it.
note_tables() {
    nft list tables > "$1/tables-before"
}

give_back_tables() {
    [ -f "$1/tables-before" ] || return 0
    nft list tables | while read -r _ family name; do
        grep -qx "table $family $name" "$1/tables-before" && continue
        others=$(nft list table "$family" "$name" 2>/dev/null | awk '$1 == "chain" && $2 !~ /^NETAVARK/ && $2 !~ /^(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING)$/' | wc -l)
        if [ "$others" -eq 0 ]; then nft delete table "$family" "$name"; fi
    done
}
