// The container child: everything between clone3 and execve.
//
// Read run_child() top to bottom: it is the documented step order of
// docs/ARCHITECTURE.md. After clone3 this process is a copy of a
// multi-threaded Swift process with only one thread left, so any lock another
// thread held (malloc's, stdio's, the Swift runtime's) stays held forever.
// Hence the rules: raw syscalls and thin glibc wrappers only, no malloc, no
// stdio, no Swift. Buffers live on the stack.
//
// A failed step is written to the report pipe as (step, errno) and the child
// exits; the parent turns the record into "swiftrun: <step>: <strerror>".
// The report pipe is O_CLOEXEC, so a successful execve closes it: the parent
// reading EOF with no record means the container's program is running.
#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

_Static_assert(SR_CLONE_NEWPID == CLONE_NEWPID && SR_CLONE_NEWNET == CLONE_NEWNET &&
                   SR_CLONE_NEWNS == CLONE_NEWNS && SR_CLONE_NEWUTS == CLONE_NEWUTS &&
                   SR_CLONE_NEWIPC == CLONE_NEWIPC && SR_CLONE_NEWCGROUP == CLONE_NEWCGROUP &&
                   SR_CLONE_NEWUSER == CLONE_NEWUSER,
               "SR_CLONE_* must match <linux/sched.h>");

#define SR_PATH_MAX 4096

static _Noreturn void fail(const sr_child_spec *spec, sr_step step) {
    sr_report report = {.step = step, .err = errno};
    (void)!write(spec->report_fd, &report, sizeof report);
    _exit(125);
}

// "/proc/self/fd/N": mount(2) takes paths, so a target we resolved safely as
// an fd is handed to it through its magic link (as runc does).
static void fd_path(char buf[32], int fd) {
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

// Open NAME under DIRFD as a directory, treating DIRFD as "/": a symlink in
// the image (say /proc -> /) resolves inside the rootfs and never reaches the
// host (openat2(2) RESOLVE_IN_ROOT).
static int open_dir_in_root(int dirfd, const char *name) {
    struct open_how how = {
        .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof how);
}

// Mount a filesystem on the directory NAME under DIRFD, creating the
// directory if the image lacks it. Returns an fd of the new mount's root.
static int mount_in_root(const sr_child_spec *spec, sr_step step, int dirfd, const char *name,
                         const char *source, const char *fstype, unsigned long flags,
                         const char *data) {
    if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST) fail(spec, step);
    int target = open_dir_in_root(dirfd, name);
    if (target < 0) fail(spec, step);
    char path[32];
    fd_path(path, target);
    if (mount(source, path, fstype, flags, data) < 0) fail(spec, step);
    close(target);
    int mounted = open_dir_in_root(dirfd, name);
    if (mounted < 0) fail(spec, step);
    return mounted;
}

// The standard device nodes Docker gives every container.
static void make_device_nodes(const sr_child_spec *spec, int devfd) {
    static const struct {
        const char *name;
        unsigned major, minor;
    } nodes[] = {
        {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
        {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
    };
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        dev_t dev = makedev(nodes[i].major, nodes[i].minor);
        if (mknodat(devfd, nodes[i].name, S_IFCHR | 0666, dev) < 0) fail(spec, SR_STEP_MKNOD);
    }
    static const char *const links[][2] = {
        {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
        {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
        {"pts/ptmx", "ptmx"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        if (symlinkat(links[i][0], devfd, links[i][1]) < 0) fail(spec, SR_STEP_DEV_SYMLINKS);
    }
}

static int bring_loopback_up(void) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    int rc = ioctl(sock, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(sock, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(sock);
    errno = saved;
    return rc;
}

// chdir, creating the directory first if it is missing (as Docker does for
// -w and WorkingDir). Runs after pivot_root, so every path, symlinks
// included, resolves inside the container's root.
static int make_and_enter_dir(const char *dir) {
    if (chdir(dir) == 0) return 0;
    if (errno != ENOENT) return -1;
    char buf[SR_PATH_MAX];
    size_t len = strlen(dir);
    if (len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, dir, len + 1);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST) return -1;
        *p = saved;
        if (saved == '\0') break;
    }
    return chdir(dir);
}

// Signal dispositions set to SIG_IGN survive execve, and so does the mask
// (the parent blocks the signals it forwards). The container starts clean.
static int reset_signals(void) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        // glibc reserves 32 and 33 for itself and refuses them: not an error.
        if (sigaction(sig, &dfl, NULL) < 0 && errno != EINVAL) return -1;
    }
    sigset_t empty;
    sigemptyset(&empty);
    return sigprocmask(SIG_SETMASK, &empty, NULL);
}

// execvp(3) without its allocations: try each $PATH entry in turn. Like
// execvp, a permission error is remembered and reported only if no later
// entry works, so "not found" (127) and "cannot execute" (126) stay distinct.
static void exec_searching_path(const sr_child_spec *spec) {
    const char *file = spec->argv[0];
    if (strchr(file, '/') != NULL) {
        execve(file, spec->argv, spec->envp);
        return;
    }
    size_t file_len = strlen(file);
    int saw_eacces = 0;
    char buf[SR_PATH_MAX];
    for (const char *dir = spec->path;;) {
        const char *end = strchrnul(dir, ':');
        size_t dir_len = (size_t)(end - dir);
        if (dir_len + 1 + file_len + 1 <= sizeof buf) {
            char *p = buf;
            if (dir_len > 0) {
                memcpy(p, dir, dir_len);
                p += dir_len;
                *p++ = '/';
            }
            memcpy(p, file, file_len + 1);
            execve(buf, spec->argv, spec->envp);
            if (errno == EACCES) {
                saw_eacces = 1;
            } else if (errno != ENOENT && errno != ENOTDIR) {
                return;
            }
        }
        if (*end == '\0') break;
        dir = end + 1;
    }
    errno = saw_eacces ? EACCES : ENOENT;
}

static _Noreturn void run_child(const sr_child_spec *spec) {
    // 1-4: tie our life to the parent, then cut ties with its terminal.
    // PDEATHSIG is set before we look for the go byte: if the parent died in
    // between, our copy of the write end is the only one left, so after
    // closing it the read returns EOF and we leave.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail(spec, SR_STEP_PDEATHSIG);
    close(spec->sync_write_fd);
    char go;
    ssize_t n;
    do {
        n = read(spec->sync_fd, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
        if (n == 0) errno = EPIPE;
        fail(spec, SR_STEP_WAIT_PARENT);
    }
    if (setsid() < 0) fail(spec, SR_STEP_SETSID);
    // Non-dumpable until execve, so no process can ptrace us or open our
    // /proc/<pid>/ files while we hold host fds (CVE-2016-9962).
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail(spec, SR_STEP_DUMPABLE);

    // 5: nothing we mount from here on may propagate back to the host.
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail(spec, SR_STEP_MOUNT_PRIVATE);

    // 6-7: the rootfs is an overlay that exists only in this mount namespace.
    if (mount("overlay", spec->rootfs, "overlay", 0, spec->overlay_options) < 0)
        fail(spec, SR_STEP_MOUNT_OVERLAY);
    int rootfd = open(spec->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) fail(spec, SR_STEP_OPEN_ROOTFS);

    // 8-15: the special filesystems. umask 0 so modes are exactly as given.
    umask(0);
    int fd = mount_in_root(spec, SR_STEP_MOUNT_PROC, rootfd, "proc", "proc", "proc",
                           MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    close(fd);
    int devfd = mount_in_root(spec, SR_STEP_MOUNT_DEV, rootfd, "dev", "tmpfs", "tmpfs",
                              MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
    make_device_nodes(spec, devfd);
    fd = mount_in_root(spec, SR_STEP_MOUNT_DEVPTS, devfd, "pts", "devpts", "devpts",
                       MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
    close(fd);
    fd = mount_in_root(spec, SR_STEP_MOUNT_SHM, devfd, "shm", "shm", "tmpfs",
                       MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
    close(fd);
    fd = mount_in_root(spec, SR_STEP_MOUNT_MQUEUE, devfd, "mqueue", "mqueue", "mqueue",
                       MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    close(fd);
    close(devfd);
    fd = mount_in_root(spec, SR_STEP_MOUNT_SYS, rootfd, "sys", "sysfs", "sysfs",
                       MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    close(fd);

    // 16-17: make the rootfs "/" and drop the host's tree entirely.
    // pivot_root(".", ".") stacks the old root on top of the new one, and the
    // lazy unmount removes it; unlike chroot, nothing of the host stays
    // reachable (pivot_root(2), "pivot_root(".", ".")").
    if (fchdir(rootfd) < 0) fail(spec, SR_STEP_PIVOT_ROOT);
    if (syscall(SYS_pivot_root, ".", ".") < 0) fail(spec, SR_STEP_PIVOT_ROOT);
    if (umount2(".", MNT_DETACH) < 0) fail(spec, SR_STEP_UMOUNT_OLD_ROOT);
    close(rootfd);

    // 18-19: identity and network inside the new namespaces.
    if (sethostname(spec->hostname, strlen(spec->hostname)) < 0) fail(spec, SR_STEP_HOSTNAME);
    if (bring_loopback_up() < 0) fail(spec, SR_STEP_LOOPBACK);

    // 20-21: the working directory. A cwd inherited through a leaked fd would
    // sit outside the root; getcwd(3) fails for such a directory
    // (CVE-2024-21626), so we check it rather than trust chdir.
    if (make_and_enter_dir(spec->cwd) < 0) fail(spec, SR_STEP_CHDIR);
    char cwd[SR_PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL || cwd[0] != '/') fail(spec, SR_STEP_GETCWD);

    // 22-24: hand over a clean process: Docker's umask, default signals,
    // no inherited fds above 2 (the report pipe closes on exec), then exec.
    umask(022);
    if (reset_signals() < 0) fail(spec, SR_STEP_SIGNALS);
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail(spec, SR_STEP_CLOSE_FDS);
    exec_searching_path(spec);
    fail(spec, SR_STEP_EXEC);
}

pid_t sr_spawn_container(const sr_child_spec *spec) {
    // No stack and no CLONE_VM: fork semantics, so the child runs on a
    // private copy of this stack and returns from syscall() below.
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = spec->clone_flags;
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) return -errno;
    if (pid == 0) run_child(spec);
    return (pid_t)pid;
}

const char *sr_step_name(int32_t step) {
    static const char *const names[SR_STEP_COUNT] = {
        [SR_STEP_WAIT_PARENT] = "wait for parent",
        [SR_STEP_PDEATHSIG] = "prctl PR_SET_PDEATHSIG",
        [SR_STEP_SETSID] = "setsid",
        [SR_STEP_DUMPABLE] = "prctl PR_SET_DUMPABLE",
        [SR_STEP_MOUNT_PRIVATE] = "make / private",
        [SR_STEP_MOUNT_OVERLAY] = "mount overlay rootfs",
        [SR_STEP_OPEN_ROOTFS] = "open rootfs",
        [SR_STEP_MOUNT_PROC] = "mount /proc",
        [SR_STEP_MOUNT_DEV] = "mount /dev",
        [SR_STEP_MKNOD] = "mknod /dev",
        [SR_STEP_DEV_SYMLINKS] = "symlink /dev",
        [SR_STEP_MOUNT_DEVPTS] = "mount /dev/pts",
        [SR_STEP_MOUNT_SHM] = "mount /dev/shm",
        [SR_STEP_MOUNT_MQUEUE] = "mount /dev/mqueue",
        [SR_STEP_MOUNT_SYS] = "mount /sys",
        [SR_STEP_PIVOT_ROOT] = "pivot_root",
        [SR_STEP_UMOUNT_OLD_ROOT] = "unmount old root",
        [SR_STEP_HOSTNAME] = "sethostname",
        [SR_STEP_LOOPBACK] = "bring up lo",
        [SR_STEP_CHDIR] = "chdir",
        [SR_STEP_GETCWD] = "getcwd",
        [SR_STEP_SIGNALS] = "reset signals",
        [SR_STEP_CLOSE_FDS] = "close_range",
        [SR_STEP_EXEC] = "exec",
    };
    if (step <= 0 || step >= SR_STEP_COUNT) return "unknown step";
    return names[step];
}
