// fsopen(2), fsconfig(2) and fsmount(2): an overlay that is attached
// nowhere. Nobody else can see it, and nothing is left to unmount if we
// are killed: it goes with its last fd. `cp` and the volume copy-up read
// a container's files through it, and `run` makes a container's root this
// way while it prepares, for its child to attach (move_mount(2)).
#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FSOPEN_CLOEXEC 1
#define FSCONFIG_SET_FLAG 0
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#define FSMOUNT_CLOEXEC 1
// fsconfig takes a string of at most this many bytes, NUL included.
#define FSCONFIG_STRING_MAX 256
#define MAX_LAYERS 128

static int set(int fs, const char *key, const char *value) {
    return (int)syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, key, value, 0);
}

// LAYERS (top first) go to FS one per "lowerdir+" (Linux 6.8), so no
// string holds the whole stack; or, BY_FDS, as one "lowerdir" string, whose
// 255 bytes a store's paths outgrow at two or three layers before 6.8:
// each layer is named by a /proc/self/fd path of an O_PATH fd instead
// (about fourteen fit), kept open until the overlay is made, which is
// when an older kernel resolves them.
static int mount_overlay(char *const *layers, int count, const char *upper, const char *work, int volatile_upper, int by_fds) {
    int fds[MAX_LAYERS];
    int opened = 0, mount = -1;
    int fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
    if (fs < 0) return -1;
    if (by_fds) {
        char list[FSCONFIG_STRING_MAX];
        size_t used = 0;
        for (; opened < count; opened++) {
            fds[opened] = open(layers[opened], O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (fds[opened] < 0) goto out;
            int n = snprintf(list + used, sizeof list - used, "%s/proc/self/fd/%d", opened > 0 ? ":" : "", fds[opened]);
            if (n < 0 || (size_t)n >= sizeof list - used) {
                close(fds[opened]);
                errno = E2BIG;
                goto out;
            }
            used += (size_t)n;
        }
        if (set(fs, "lowerdir", list) < 0) goto out;
    } else {
        for (int i = 0; i < count; i++)
            if (set(fs, "lowerdir+", layers[i]) < 0) goto out;
    }
    // The source mount(8) and mountinfo show, as for mount("overlay", ...).
    if (set(fs, "source", "overlay") < 0) goto out;
    if (set(fs, "upperdir", upper) < 0 || set(fs, "workdir", work) < 0) goto out;
    if (volatile_upper && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0) goto out;
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) goto out;
    mount = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
out:;
    int saved = errno;
    close(fs);
    for (int i = 0; i < opened; i++) close(fds[i]);
    errno = saved;
    return mount;
}

int sr_overlay_detached(const char *lower, const char *upper, const char *work, int volatile_upper) {
    char copy[MAX_LAYERS * 320];
    char *layers[MAX_LAYERS];
    int count = 0;
    size_t length = strlen(lower);
    if (length >= sizeof copy) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(copy, lower, length + 1);
    for (char *cursor = copy; cursor != NULL && *cursor != '\0';) {
        if (count == MAX_LAYERS) {
            errno = E2BIG;
            return -1;
        }
        layers[count++] = cursor;
        cursor = strchr(cursor, ':');
        if (cursor != NULL) *cursor++ = '\0';
    }
    int mount = mount_overlay(layers, count, upper, work, volatile_upper, 0);
    // An older kernel does not know "lowerdir+" (EINVAL).
    if (mount < 0 && errno == EINVAL) mount = mount_overlay(layers, count, upper, work, volatile_upper, 1);
    return mount;
}
