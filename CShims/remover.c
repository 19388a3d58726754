// The remover of a --rm container's files (Store/Trash.swift): a process
// that shares swiftrun's memory (CLONE_VM), so that starting it copies no
// page tables and leaves no page of ours copy-on-write, which a fork of
// swiftrun cost its exit 0.3-0.4 ms. Until swiftrun has exited it only
// waits: it touches nothing of the shared memory but its own stack and
// makes no call that could fail and set errno, which is swiftrun's too.
// Once swiftrun is gone the memory is its alone.
#define _GNU_SOURCE
#include "CShims.h"
#include "clone_on_stack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// What the remover starts from, at the top of its own stack.
typedef struct {
    char path[4096];  // trash/<id>
    int lock_fd, release_fd, exited_read;
} remover_start;

#define REMOVER_STACK_SIZE (256 << 10)

// Closes every fd but the three KEEP names (-1: none), the caller's stdio
// and our copy of the pipe's write end among them: a caller reading our
// stdout to EOF does not wait for us, and the pipe's EOF is swiftrun's exit.
static void close_all_but(int keep[3]) {
    for (int i = 1; i < 3; i++)  // ascending, for the gaps between them
        for (int j = i; j > 0 && keep[j] < keep[j - 1]; j--) {
            int swap = keep[j];
            keep[j] = keep[j - 1];
            keep[j - 1] = swap;
        }
    unsigned next = 0;
    for (int i = 0; i < 3; i++) {
        if (keep[i] < 0) continue;
        if ((unsigned)keep[i] > next) syscall(SYS_close_range, next, (unsigned)keep[i] - 1, 0);
        next = (unsigned)keep[i] + 1;
    }
    syscall(SYS_close_range, next, ~0U, 0);
}

// Empties the tree under FD (which it takes) with two fds at any depth: a
// directory that will not go empty is entered, and left through "..", its
// parent then read again from the start. The tree is no one's but ours by
// now (its container is dead, its mounts went with its namespace). Stops
// at the first entry that cannot be removed: the next command's sweep
// tries again, and says why.
static int empty_tree(int fd) {
    struct stat top;
    if (fstat(fd, &top) < 0) {
        close(fd);
        return -1;
    }
    char buffer[8192];
    for (;;) {
        int entered = 0;
        lseek(fd, 0, SEEK_SET);
        long length;
        while (!entered && (length = syscall(SYS_getdents64, fd, buffer, sizeof buffer)) > 0) {
            for (long offset = 0; offset < length;) {
                struct dirent64 *entry = (struct dirent64 *)(buffer + offset);
                offset += entry->d_reclen;
                const char *name = entry->d_name;
                if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
                if (entry->d_type != DT_DIR && unlinkat(fd, name, 0) == 0) continue;
                if (unlinkat(fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) continue;
                if (errno != ENOTEMPTY && errno != EEXIST) {
                    close(fd);
                    return -1;
                }
                int child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0) {
                    close(fd);
                    return -1;
                }
                close(fd);
                fd = child;
                entered = 1;
                break;
            }
        }
        if (entered) continue;
        struct stat here;
        if (fstat(fd, &here) < 0 || (here.st_dev == top.st_dev && here.st_ino == top.st_ino)) {
            close(fd);
            return 0;
        }
        int parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        close(fd);
        if (parent < 0) return -1;
        fd = parent;
    }
}

static _Noreturn void remover_main(const void *argument) {
    const remover_start *start = argument;
    // Out of the caller's session first: a Ctrl-C for it is not for us.
    setsid();
    int keep[3] = {start->lock_fd, start->release_fd, start->exited_read};
    close_all_but(keep);
    // EOF once swiftrun has exited: it held the only other write end.
    char byte;
    for (int tries = 0; tries < 64 && read(start->exited_read, &byte, 1) != 0; tries++) {
    }
    close(start->exited_read);
    // The container's mount namespace goes here, not in swiftrun's wait.
    if (start->release_fd >= 0) close(start->release_fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int fd = open(start->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && empty_tree(fd) == 0) rmdir(start->path);
    _exit(0);
}

pid_t sr_spawn_remover(const char *path, int lock_fd, int release_fd) {
    size_t length = strlen(path);
    if (length >= sizeof ((remover_start *)0)->path) return -ENAMETOOLONG;
    int exited[2];
    if (pipe2(exited, O_CLOEXEC) < 0) return -errno;
    // Never unmapped: the remover runs on it after we have gone.
    char *stack = mmap(NULL, REMOVER_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        int err = errno;
        close(exited[0]);
        close(exited[1]);
        return -err;
    }
    remover_start *start = (remover_start *)(stack + REMOVER_STACK_SIZE - sizeof(remover_start));
    memcpy(start->path, path, length + 1);
    start->lock_fd = lock_fd;
    start->release_fd = release_fd;
    start->exited_read = exited[0];
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_VM;
    args.exit_signal = SIGCHLD;
    args.stack = (uint64_t)(uintptr_t)stack;
    args.stack_size = ((uintptr_t)start - (uintptr_t)stack) & ~(uintptr_t)15;
    long pid = sr_clone3_on_stack(&args, remover_main, start);
    close(exited[0]);
    if (pid < 0) {
        close(exited[1]);
        munmap(stack, REMOVER_STACK_SIZE);
    }
    // exited[1] stays open, CLOEXEC, until we exit: its EOF tells the remover.
    return (pid_t)pid;
}
