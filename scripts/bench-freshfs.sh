# Sourced by the benches: a new ext4 (a sparse loop image), for every run
# of the unpack benches and once for the start-up rounds. On a filesystem
# that has just seen thousands of files deleted, ext4 scans its inode
# tables for each new inode (recently_deleted, about 1 ms a file here),
# which would time the allocator, not the programs timed. The loop
# device does direct I/O into its image, as a disk holds what is written
# once: buffered, it copied every block it was given into a second page
# cache (the image file's), so whatever syncs (swiftrun, `tar, sync`) paid
# that copy on top of its own writes while plain tar paid nothing (on this
# VM, into pages the host had taken back: import 865 ms against 627).
#
#   freshfs_command WORK  makes $fs (the mount point) and $fresh (the
#                         command that unmounts, makes the ext4 and mounts it
#                         there: hyperfine's --prepare, or run once).
#   freshfs_init WORK     the same, and traps EXIT to unmount and remove WORK.
freshfs_command() {
    fs=$1/fs
    mkdir -p "$fs"
    truncate -s 4G "$1/fs.img"
    fresh="umount $fs/podman/overlay 2>/dev/null; umount $fs 2>/dev/null; mkfs.ext4 -q -F $1/fs.img && mount -o loop $1/fs.img $fs && losetup --direct-io=on \$(findmnt -n -o SOURCE $fs)"
}

freshfs_init() {
    freshfs_command "$1"
    trap "umount '$fs/podman/overlay' 2>/dev/null || true; umount '$fs' 2>/dev/null || true; rm -rf '$1'" EXIT
}
