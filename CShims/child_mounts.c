// The child's filesystem steps: everything it mounts or creates inside the
// rootfs. Every target is resolved with openat2(RESOLVE_IN_ROOT) from the
// rootfs fd, so a symlink in the image (say /proc -> / or a -v target that
// points at /etc) resolves inside the rootfs and never reaches the host. The
// resolved fd is handed to mount(2) through its /proc/self/fd magic link,
// as runc does.
#define _GNU_SOURCE
#include "child_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

_Static_assert(SR_MOUNT_ATTR_RDONLY == MOUNT_ATTR_RDONLY && SR_MOUNT_ATTR_NOSUID == MOUNT_ATTR_NOSUID &&
                   SR_MOUNT_ATTR_NODEV == MOUNT_ATTR_NODEV && SR_MOUNT_ATTR_NOEXEC == MOUNT_ATTR_NOEXEC &&
                   SR_MOUNT_ATTR_NOATIME == MOUNT_ATTR_NOATIME && SR_MOUNT_ATTR_STRICTATIME == MOUNT_ATTR_STRICTATIME &&
                   SR_MOUNT_ATTR_NODIRATIME == MOUNT_ATTR_NODIRATIME,
               "SR_MOUNT_ATTR_* must match <linux/mount.h>");

void sr_fd_path(char buf[32], int fd) {
    static const char prefix[] = "/proc/self/fd/";
    char digits[12];
    int n = 0;
    memcpy(buf, prefix, sizeof prefix - 1);
    do {
        digits[n++] = (char)('0' + fd % 10);
        fd /= 10;
    } while (fd > 0);
    char *p = buf + sizeof prefix - 1;
    while (n > 0) *p++ = digits[--n];
    *p = '\0';
}

int sr_open_in_root(int rootfd, const char *path, int flags) {
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

int sr_open_in_root_nofollow(int rootfd, const char *path, int flags) {
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

int sr_mount_in_root(const sr_child_spec *spec, sr_step step, int dirfd, const char *name,
                     const char *source, const char *fstype, unsigned long flags, const char *data) {
    if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST) sr_fail(spec, step, -1);
    int target = sr_open_in_root(dirfd, name, O_PATH | O_DIRECTORY);
    if (target < 0) sr_fail(spec, step, -1);
    char path[32];
    sr_fd_path(path, target);
    if (mount(source, path, fstype, flags, data) < 0) sr_fail(spec, step, -1);
    if (spec->narrate) {
        sr_text t = {.length = 0};
        sr_text_add(&t, "mount(");
        sr_text_quoted(&t, source);
        sr_text_add(&t, ", ");
        sr_text_quoted(&t, name);
        sr_text_add(&t, ", ");
        sr_text_quoted(&t, fstype);
        sr_text_add(&t, ", ");
        sr_text_mount_flags(&t, flags);
        sr_text_add(&t, ", ");
        sr_text_quoted(&t, data);
        sr_text_add(&t, ")");
        sr_narrate(spec, step, -1, &t);
    }
    close(target);
    int mounted = sr_open_in_root(dirfd, name, O_PATH | O_DIRECTORY);
    if (mounted < 0) sr_fail(spec, step, -1);
    return mounted;
}

// A device node NAME under DIRFD. In a user namespace the kernel refuses
// mknod of a device, so the host's node at HOST_PATH is bound onto an empty
// file instead, as runc does, once checked to be the device asked for.
static int make_device(const sr_child_spec *spec, int dirfd, const char *name, const char *host_path, mode_t mode, dev_t dev) {
    if (!(spec->clone_flags & CLONE_NEWUSER)) return mknodat(dirfd, name, mode, dev);
    int source = open(host_path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (source < 0) return -1;
    int target = -1;
    struct stat st;
    int rc = fstat(source, &st);
    if (rc == 0 && ((st.st_mode & S_IFMT) != (mode & S_IFMT) || st.st_rdev != dev)) {
        errno = ENODEV;
        rc = -1;
    }
    if (rc == 0 && mknodat(dirfd, name, S_IFREG | 0644, 0) < 0 && errno != EEXIST) rc = -1;
    if (rc == 0 && (target = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0) rc = -1;
    if (rc == 0) {
        char from[32], to[32];
        sr_fd_path(from, source);
        sr_fd_path(to, target);
        rc = mount(from, to, NULL, MS_BIND, NULL);
    }
    int saved = errno;
    close(source);
    if (target >= 0) close(target);
    errno = saved;
    return rc;
}

// The standard device nodes Docker gives every container, and its symlinks.
void sr_make_standard_devices(const sr_child_spec *spec, int devfd) {
    static const struct {
        const char *name;
        unsigned major, minor;
    } nodes[] = {
        {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
        {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
    };
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        dev_t dev = makedev(nodes[i].major, nodes[i].minor);
        char host[16] = "/dev/";
        memcpy(host + 5, nodes[i].name, strlen(nodes[i].name) + 1);
        if (make_device(spec, devfd, nodes[i].name, host, S_IFCHR | 0666, dev) < 0) sr_fail(spec, SR_STEP_MKNOD, -1);
        if (spec->narrate) {
            sr_text t = {.length = 0};
            sr_text_add(&t, "mknod(\"/dev/");
            sr_text_add(&t, nodes[i].name);
            sr_text_add(&t, "\", S_IFCHR|0666, ");
            sr_text_number(&t, nodes[i].major);
            sr_text_add(&t, ":");
            sr_text_number(&t, nodes[i].minor);
            sr_text_add(&t, ")");
            sr_narrate(spec, SR_STEP_MKNOD, -1, &t);
        }
    }
    static const char *const links[][2] = {
        {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
        {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
        {"pts/ptmx", "ptmx"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        if (symlinkat(links[i][0], devfd, links[i][1]) < 0) sr_fail(spec, SR_STEP_DEV_SYMLINKS, -1);
    }
    sr_narrate_call(spec, SR_STEP_DEV_SYMLINKS, "symlink /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr, /dev/ptmx");
}

// A bundle lists /dev among its mounts. Where that is a tmpfs (not the
// host's /dev bound in), it gets the standard nodes and links, as runc
// gives every container.
void sr_make_standard_devices_in_tmpfs(const sr_child_spec *spec, int rootfd) {
    int devfd = sr_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
    if (devfd < 0) return;
    struct statfs fs;
    if (fstatfs(devfd, &fs) == 0 && fs.f_type == TMPFS_MAGIC) {
        int dir = sr_open_in_root(rootfd, "/dev", O_RDONLY | O_DIRECTORY);
        if (dir < 0) sr_fail(spec, SR_STEP_MKNOD, -1);
        sr_make_standard_devices(spec, dir);
        close(dir);
    }
    close(devfd);
}

// Resolves PATH (absolute, in the container) under ROOTFD, creating what is
// missing like mkdir -p; the last component is an empty file when LAST_IS_FILE.
// Each prefix is resolved from the root again, so a symlink anywhere on the
// way is followed inside the rootfs only. Returns an O_PATH fd, or -1.
static int make_path_in_root(int rootfd, const char *path, int last_is_file) {
    char buf[SR_PATH_MAX];
    size_t len = strlen(path);
    if (len >= sizeof buf || path[0] != '/') {
        errno = len >= sizeof buf ? ENAMETOOLONG : EINVAL;
        return -1;
    }
    memcpy(buf, path, len + 1);
    while (len > 1 && buf[len - 1] == '/') buf[--len] = '\0';
    if (len == 1) return sr_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);

    for (char *end = buf + 1;; end++) {
        if (*end != '/' && *end != '\0') continue;
        int last = *end == '\0';
        char saved = *end;
        *end = '\0';
        int flags = O_PATH | (last && last_is_file ? 0 : O_DIRECTORY);
        int fd = sr_open_in_root(rootfd, buf, flags);
        if (fd < 0 && errno == ENOENT) {
            char *slash = strrchr(buf, '/');
            *slash = '\0';
            int parent = sr_open_in_root(rootfd, slash == buf ? "/" : buf, O_PATH | O_DIRECTORY);
            *slash = '/';
            if (parent < 0) return -1;
            int rc = last && last_is_file ? mknodat(parent, slash + 1, S_IFREG | 0644, 0)
                                          : mkdirat(parent, slash + 1, 0755);
            int saved_errno = errno;
            close(parent);
            if (rc < 0 && saved_errno != EEXIST) {
                errno = saved_errno;
                return -1;
            }
            fd = sr_open_in_root(rootfd, buf, flags);
        }
        *end = saved;
        if (last || fd < 0) return fd;
        close(fd);
        while (end[1] == '/') end++;
    }
}

// Makes the mount at FD and every mount below it read-only. A plain
// MS_REMOUNT|MS_RDONLY changes only the top mount: a read-only -v /:/host
// would leave /host/proc/sys writable, and writing the host's core_pattern
// is an escape. mount_setattr(2) with AT_RECURSIVE (Linux 5.12) covers the
// whole tree at once; where it is missing, the mount is refused (ENOSYS).
static int set_tree_attributes(int fd, uint64_t attributes) {
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = attributes;
    return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
}

// Mounts on an fd's magic link. With ATTRIBUTES (MOUNT_ATTR_RDONLY, ...)
// or PROPAGATION, it then reopens the target, so that they apply to the
// new mount (and everything below it) and not to what it covers: a bind
// ignores such flags given to mount(2) itself.
static int mount_on(int rootfd, const char *target, int fd, const char *source, const char *fstype,
                    unsigned long flags, const char *data, uint64_t attributes, unsigned long propagation) {
    char path[32];
    sr_fd_path(path, fd);
    if (mount(source, path, fstype, flags, data) < 0) return -1;
    if (attributes == 0 && propagation == 0) return 0;
    int mounted = sr_open_in_root(rootfd, target, O_PATH);
    if (mounted < 0) return -1;
    char mounted_path[32];
    sr_fd_path(mounted_path, mounted);
    int rc = attributes != 0 ? set_tree_attributes(mounted, attributes) : 0;
    if (rc == 0 && propagation != 0) rc = mount(NULL, mounted_path, NULL, propagation, NULL);
    int saved = errno;
    close(mounted);
    errno = saved;
    return rc;
}

// Whether PROPAGATION is what a new mount gets anyway: private, when the
// whole tree was made private first (a bind of a private mount is private,
// and so is every mount under it), as for each of /etc/hosts, hostname and
// resolv.conf, which Docker binds rprivate: a remount each, saved.
static int propagation_is_inherited(const sr_child_spec *spec, unsigned long propagation) {
    unsigned long root = spec->root_propagation != 0 ? spec->root_propagation : MS_REC | MS_PRIVATE;
    return propagation != 0 && (propagation & ~MS_REC) == MS_PRIVATE && root == (MS_REC | MS_PRIVATE);
}

void sr_mount_extra(const sr_child_spec *spec, int rootfd) {
    for (int i = 0; i < spec->mount_count; i++) {
        const sr_mount *m = &spec->mounts[i];
        int fd = make_path_in_root(rootfd, m->target, m->target_is_file);
        if (fd < 0) sr_fail(spec, SR_STEP_MOUNT_EXTRA, i);
        uint64_t attributes = m->attributes | (m->readonly ? MOUNT_ATTR_RDONLY : 0);
        unsigned long propagation = propagation_is_inherited(spec, m->propagation) ? 0 : m->propagation;
        int rc = mount_on(rootfd, m->target, fd, m->source, m->fstype, m->flags, m->data, attributes, propagation);
        if (rc < 0 && (errno == EPERM || errno == EBUSY) && (spec->clone_flags & CLONE_NEWUSER) && m->userns_fallback != NULL) {
            uint64_t bound = attributes | (m->flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) | (m->flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) |
                             (m->flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) | (m->flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0);
            rc = mount_on(rootfd, m->target, fd, m->userns_fallback, NULL, MS_BIND | MS_REC, NULL, bound, propagation);
        }
        if (rc < 0) sr_fail(spec, SR_STEP_MOUNT_EXTRA, i);
        if (spec->narrate) {
            sr_text t = {.length = 0};
            sr_text_add(&t, "mount(");
            sr_text_quoted(&t, m->source);
            sr_text_add(&t, ", ");
            sr_text_quoted(&t, m->target);
            sr_text_add(&t, ", ");
            sr_text_quoted(&t, m->fstype != NULL ? m->fstype : "bind");
            sr_text_add(&t, ", ");
            sr_text_mount_flags(&t, m->flags);
            sr_text_add(&t, m->readonly ? ") + mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY)" : ")");
            sr_narrate(spec, SR_STEP_MOUNT_EXTRA, i, &t);
        }
        close(fd);
    }
}

void sr_make_devices(const sr_child_spec *spec, int rootfd) {
    for (int i = 0; i < spec->device_count; i++) {
        const sr_device *d = &spec->devices[i];
        char dir[SR_PATH_MAX];
        size_t len = strlen(d->path);
        if (len >= sizeof dir) sr_fail(spec, SR_STEP_DEVICES, i);
        memcpy(dir, d->path, len + 1);
        char *slash = strrchr(dir, '/');
        *slash = '\0';
        int dirfd = make_path_in_root(rootfd, slash == dir ? "/" : dir, 0);
        if (dirfd < 0) sr_fail(spec, SR_STEP_DEVICES, i);
        const char *name = d->path + (slash - dir) + 1;
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) sr_fail(spec, SR_STEP_DEVICES, i);
        if (make_device(spec, dirfd, name, d->path, d->mode, makedev(d->major, d->minor)) < 0) sr_fail(spec, SR_STEP_DEVICES, i);
        // A bound node is the host's own: its owner is not ours to change.
        if (!(spec->clone_flags & CLONE_NEWUSER) && fchownat(dirfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
            sr_fail(spec, SR_STEP_DEVICES, i);
        if (spec->narrate) {
            sr_text t = {.length = 0};
            sr_text_add(&t, "mknod(");
            sr_text_quoted(&t, d->path);
            sr_text_add(&t, S_ISBLK(d->mode) ? ", S_IFBLK, " : ", S_IFCHR, ");
            sr_text_number(&t, d->major);
            sr_text_add(&t, ":");
            sr_text_number(&t, d->minor);
            sr_text_add(&t, ")");
            sr_narrate(spec, SR_STEP_DEVICES, i, &t);
        }
        close(dirfd);
    }
}

// Masked paths: a file gets the host's /dev/null bound over it, a directory
// an empty read-only tmpfs. Paths the kernel lacks are skipped. The
// /dev/null is opened here, before pivot_root, from the host's /dev, and
// checked to be the real 1:3 device: CVE-2025-31133 swapped a container's
// /dev/null for a symlink so that the mask bound a host file instead.
void sr_mask_paths(const sr_child_spec *spec, int rootfd) {
    if (spec->masked_paths[0] == NULL) return;
    int null_fd = open("/dev/null", O_PATH | O_CLOEXEC);
    struct stat null_st;
    if (null_fd < 0 || fstat(null_fd, &null_st) < 0) sr_fail(spec, SR_STEP_VERIFY_DEVNULL, -1);
    if (!S_ISCHR(null_st.st_mode) || major(null_st.st_rdev) != 1 || minor(null_st.st_rdev) != 3) {
        errno = ENODEV;
        sr_fail(spec, SR_STEP_VERIFY_DEVNULL, -1);
    }
    sr_narrate_call(spec, SR_STEP_VERIFY_DEVNULL, "fstat(open(\"/dev/null\")): S_IFCHR 1:3");
    char devnull[32];
    sr_fd_path(devnull, null_fd);
    for (int i = 0; spec->masked_paths[i] != NULL; i++) {
        int fd = sr_open_in_root(rootfd, spec->masked_paths[i], O_PATH);
        if (fd < 0) {
            if (errno == ENOENT) continue;
            sr_fail(spec, SR_STEP_MASK_PATHS, i);
        }
        struct stat st;
        if (fstat(fd, &st) < 0) sr_fail(spec, SR_STEP_MASK_PATHS, i);
        int rc = S_ISDIR(st.st_mode)
                     ? mount_on(rootfd, spec->masked_paths[i], fd, "tmpfs", "tmpfs", MS_RDONLY, "size=0,mode=755", 0, 0)
                     : mount_on(rootfd, spec->masked_paths[i], fd, devnull, NULL, MS_BIND, NULL, 0, 0);
        if (rc < 0) sr_fail(spec, SR_STEP_MASK_PATHS, i);
        if (spec->narrate) {
            sr_text t = {.length = 0};
            sr_text_add(&t, S_ISDIR(st.st_mode) ? "mount(\"tmpfs\", " : "mount(\"/dev/null\", ");
            sr_text_quoted(&t, spec->masked_paths[i]);
            sr_text_add(&t, S_ISDIR(st.st_mode) ? ", \"tmpfs\", MS_RDONLY, \"size=0\")" : ", NULL, MS_BIND, NULL)");
            sr_narrate(spec, SR_STEP_MASK_PATHS, i, &t);
        }
        close(fd);
    }
    close(null_fd);
}

void sr_make_paths_readonly(const sr_child_spec *spec, int rootfd) {
    for (int i = 0; spec->readonly_paths[i] != NULL; i++) {
        const char *target = spec->readonly_paths[i];
        int fd = sr_open_in_root(rootfd, target, O_PATH);
        if (fd < 0) {
            if (errno == ENOENT) continue;
            sr_fail(spec, SR_STEP_READONLY_PATHS, i);
        }
        char self[32];
        sr_fd_path(self, fd);
        if (mount_on(rootfd, target, fd, self, NULL, MS_BIND | MS_REC, NULL, MOUNT_ATTR_RDONLY, 0) < 0)
            sr_fail(spec, SR_STEP_READONLY_PATHS, i);
        if (spec->narrate) {
            sr_text t = {.length = 0};
            sr_text_add(&t, "mount(");
            sr_text_quoted(&t, target);
            sr_text_add(&t, ", itself, MS_BIND|MS_REC) + mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY)");
            sr_narrate(spec, SR_STEP_READONLY_PATHS, i, &t);
        }
        close(fd);
    }
}

// linux.sysctl: each value written through the container's own /proc, so
// it lands in the namespaces the child is in, before /proc/sys is made
// read-only. The parent allowed only namespaced keys.
void sr_write_sysctls(const sr_child_spec *spec, int rootfd) {
    for (int i = 0; spec->sysctl_paths != NULL && spec->sysctl_paths[i] != NULL; i++) {
        int fd = sr_open_in_root(rootfd, spec->sysctl_paths[i], O_WRONLY | O_TRUNC);
        if (fd < 0) sr_fail(spec, SR_STEP_SYSCTL, i);
        size_t length = strlen(spec->sysctl_values[i]);
        if (write(fd, spec->sysctl_values[i], length) != (ssize_t)length) sr_fail(spec, SR_STEP_SYSCTL, i);
        close(fd);
        sr_narrate_quoted(spec, SR_STEP_SYSCTL, "write(", spec->sysctl_paths[i], ")");
    }
}
