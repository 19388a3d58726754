// Out-of-line wrappers for calls that need _GNU_SOURCE or headers Swift's
// Glibc module does not import. Each is a single call; errno passes through.
#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/close_range.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(SR_O_PATH == O_PATH, "SR_O_PATH must match <fcntl.h>");
_Static_assert(SR_O_TMPFILE == O_TMPFILE, "SR_O_TMPFILE must match <fcntl.h>");

int sr_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

pid_t sr_fork(void) { return fork(); }

int sr_close_from(int fd) { return (int)syscall(SYS_close_range, (unsigned)fd, ~0U, 0); }

int sr_cloexec_from(int fd) { return (int)syscall(SYS_close_range, (unsigned)fd, ~0U, CLOSE_RANGE_CLOEXEC); }

int sr_fsetxattr(int fd, const char *name, const void *value, size_t size) {
    return fsetxattr(fd, name, value, size, 0);
}

int sr_syncfs(int fd) { return syncfs(fd); }

int sr_mark_top_directory(int fd) {
    int flags;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0) return -1;
    flags |= FS_TOPDIR_FL;
    return ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

int sr_memfd_create(const char *name) { return memfd_create(name, MFD_CLOEXEC); }

int sr_open_pty(int *master, int *slave) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -1;
    const char *name = grantpt(m) == 0 && unlockpt(m) == 0 ? ptsname(m) : NULL;
    int s = name != NULL ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
    if (s < 0) {
        close(m);
        return -1;
    }
    *master = m;
    *slave = s;
    return 0;
}

int sr_fsetxattr_at(int dirfd, const char *name, const void *value, size_t size) {
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", dirfd);
    return setxattr(path, name, value, size, 0);
}

ssize_t sr_fgetxattr_at(int dirfd, const char *file, const char *name, void *value, size_t size) {
    char path[4200];
    snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dirfd, file);
    return lgetxattr(path, name, value, size);
}

ssize_t sr_llistxattr_at(int dirfd, const char *file, char *list, size_t size) {
    char path[4200];
    snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dirfd, file);
    return llistxattr(path, list, size);
}

int sr_is_cgroup2(const char *path) {
    struct statfs info;
    return statfs(path, &info) == 0 && info.f_type == CGROUP2_SUPER_MAGIC;
}

int sr_set_pipe_size(int fd, int size) {
    return fcntl(fd, F_SETPIPE_SZ, size);
}

int sr_window_size(int fd, unsigned short *rows, unsigned short *columns) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) < 0) return -1;
    *rows = size.ws_row;
    *columns = size.ws_col;
    return 0;
}

int sr_spawn_close_from(posix_spawn_file_actions_t *actions, int fd) {
    return posix_spawn_file_actions_addclosefrom_np(actions, fd);
}
