// The container child: everything between clone3 and execve.
//
// Read run_child() top to bottom: it is the documented step order of
// docs/ARCHITECTURE.md and ../shared/SECURITY.md. After clone3 this process
// is either a copy of a multi-threaded Swift process with only one thread
// left, so any lock another thread held (malloc's, stdio's, the Swift
// runtime's) stays held forever; or it shares that process's memory while
// its other threads run (sr_spawn_can_share_memory), so any lock it took or
// global it wrote would be theirs. Hence the rules: raw syscalls and thin
// glibc wrappers only, no malloc, no stdio, no Swift, no writes to globals.
// Buffers live on the stack. (errno is the cloning thread's, which is
// suspended in clone3 until our execve.)
//
// A failed step is written to the report pipe as (step, errno, detail) and
// the child exits; the parent turns the record into "swiftrun: <step>:
// <strerror>". The report pipe is O_CLOEXEC, so a successful execve closes
// it: the parent reading EOF with no record means the command is running.
//
// The steps live in three files by concern: child_mounts.c (the
// filesystem), child_identity.c (limits, seccomp, user, capabilities) and
// child_exec.c (signals, execve, --init).
#define _GNU_SOURCE
#include "child_internal.h"
#include "clone_on_stack.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(SR_CLONE_NEWPID == CLONE_NEWPID && SR_CLONE_NEWNET == CLONE_NEWNET &&
                   SR_CLONE_NEWNS == CLONE_NEWNS && SR_CLONE_NEWUTS == CLONE_NEWUTS &&
                   SR_CLONE_NEWIPC == CLONE_NEWIPC && SR_CLONE_NEWCGROUP == CLONE_NEWCGROUP &&
                   SR_CLONE_NEWUSER == CLONE_NEWUSER,
               "SR_CLONE_* must match <linux/sched.h>");

// A bridge network: the parent created eth0 in our namespace (the peer of
// its veth); we give it its address, bring it up and route through the
// bridge. Three netlink requests on a socket of this namespace.
static void configure_eth0(const sr_child_spec *spec) {
    // The parent's second byte (await_parent_setup): eth0 is here. It made
    // the veth while we mounted; EOF means it failed, and says why itself.
    sr_read_sync_byte(spec, SR_STEP_NETWORK);
    int failed = sr_netlink_configure("eth0", spec->net_address, spec->net_prefix, spec->net_gateway);
    if (failed != 0) sr_fail(spec, SR_STEP_NETWORK, failed);
    if (spec->narrate) {
        sr_text t = {.length = 0};
        const unsigned char *a = (const unsigned char *)&spec->net_address;
        sr_text_add(&t, "RTM_NEWADDR eth0 ");
        for (int i = 0; i < 4; i++) {
            sr_text_number(&t, a[i]);
            sr_text_add(&t, i < 3 ? "." : "/");
        }
        sr_text_number(&t, spec->net_prefix);
        sr_text_add(&t, "; RTM_NEWLINK eth0 IFF_UP");
        if (spec->net_gateway != 0) {
            const unsigned char *g = (const unsigned char *)&spec->net_gateway;
            sr_text_add(&t, "; RTM_NEWROUTE default via ");
            for (int i = 0; i < 4; i++) {
                sr_text_number(&t, g[i]);
                if (i < 3) sr_text_add(&t, ".");
            }
        }
        sr_narrate(spec, SR_STEP_NETWORK, -1, &t);
    }
}

// chdir, with CREATE first making the directory if it is missing (as
// Docker does for -w and WorkingDir). Runs after pivot_root or setns, so
// every path, symlinks included, resolves inside the container's root.
int sr_enter_dir(const char *dir, int create) {
    if (chdir(dir) == 0) return 0;
    if (errno != ENOENT || !create) return -1;
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

// --explain: the namespaces, root and hostname as the container sees them,
// read from its own /proc after pivot_root, so the parent can set them
// beside the host's.
static void narrate_identity(const sr_child_spec *spec) {
    static const char *const names[] = {"pid", "mnt", "uts", "ipc", "net", "cgroup"};
    sr_text t = {.length = 0};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[32] = "/proc/self/ns/";
        memcpy(path + 14, names[i], strlen(names[i]) + 1);
        char link[64];
        ssize_t n = readlink(path, link, sizeof link - 1);
        link[n > 0 ? n : 0] = '\0';
        sr_text_add(&t, link);
        sr_text_add(&t, " ");
    }
    struct stat root;
    if (stat("/", &root) == 0) {
        sr_text_add(&t, "root=");
        sr_text_number(&t, (long long)root.st_dev);
        sr_text_add(&t, ":");
        sr_text_number(&t, (long long)root.st_ino);
    }
    char host[65] = "";
    gethostname(host, sizeof host - 1);
    sr_text_add(&t, " hostname=");
    sr_text_add(&t, host);
    sr_narrate(spec, SR_STEP_IDENTITY, -1, &t);
}

// Closes our copy of the parent's end, then reads its go byte. EOF means
// the parent died (or gave up) before saying go: the child leaves.
void sr_wait_for_go(const sr_child_spec *spec) {
    close(spec->sync_write_fd);
    sr_read_sync_byte(spec, SR_STEP_WAIT_PARENT);
}

// The v1 hierarchies of a hybrid or legacy host (cgroup v2 has us born in
// ours, CLONE_INTO_CGROUP): we move ourselves, writing "0" to each tasks
// file the parent opened. A thread that moves only itself skips the
// kernel's global threadgroup lock, whose writer waits for an RCU grace
// period when it has been idle: the parent writing our pid to cgroup.procs
// took it, up to 10 ms of a `run --memory`. The fds were opened by the
// parent, as root of the host, so the write passes v1's check even from a
// new user namespace. Before anything runs in the container's name.
void sr_join_cgroups_v1(const sr_child_spec *spec) {
    for (int i = 0; i < spec->cgroup_tasks_count; i++) {
        if (write(spec->cgroup_tasks_fds[i], "0", 1) != 1) sr_fail(spec, SR_STEP_JOIN_CGROUP_V1, i);
        close(spec->cgroup_tasks_fds[i]);
    }
    if (spec->cgroup_tasks_count > 0) sr_narrate_call(spec, SR_STEP_JOIN_CGROUP_V1, "write(tasks fd, \"0\", 1) for each v1 hierarchy");
}

// One byte from the parent, or the step fails: EOF (EPIPE) means it died
// or gave up, and says why itself.
void sr_read_sync_byte(const sr_child_spec *spec, sr_step step) {
    char byte;
    ssize_t n;
    do {
        n = read(spec->sync_fd, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
        if (n == 0) errno = EPIPE;
        sr_fail(spec, step, -1);
    }
}

// Which joins the parent makes on its own thread for the clone3, so the
// child is born in those namespaces: a pid namespace always, since
// setns(CLONE_NEWPID) moves only children made afterwards; and with a new
// user namespace every kind, since the child is root only there and
// setns into a namespace the host's user namespace owns (a pod's network)
// needs CAP_SYS_ADMIN over that owner. The child joins the rest itself.
static int parent_joins(const sr_child_spec *spec, int type) {
    return type == CLONE_NEWPID || (spec->clone_flags & CLONE_NEWUSER) != 0;
}

// Namespaces given by path (a bundle's, --network container:), in order;
// those parent_joins names were joined by the parent for the clone3.
static void join_namespaces(const sr_child_spec *spec) {
    for (int i = 0; i < spec->join_count; i++) {
        if (parent_joins(spec, spec->joins[i].type)) continue;
        if (setns(spec->joins[i].fd, spec->joins[i].type) < 0) sr_fail(spec, SR_STEP_JOIN_NAMESPACES, i);
        close(spec->joins[i].fd);
        if (spec->narrate) {
            sr_text t = {.length = 0};
            sr_text_add(&t, "setns(fd, ");
            sr_text_number(&t, spec->joins[i].type);
            sr_text_add(&t, ")");
            sr_narrate(spec, SR_STEP_JOIN_NAMESPACES, i, &t);
        }
    }
}

// swiftrun's own containers: the special filesystems every container gets,
// always the same. A bundle lists its own in its mounts instead.
static void mount_standard_set(const sr_child_spec *spec, int rootfd) {
    int fd = sr_mount_in_root(spec, SR_STEP_MOUNT_PROC, rootfd, "proc", "proc", "proc",
                              MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    close(fd);
    int devfd = sr_mount_in_root(spec, SR_STEP_MOUNT_DEV, rootfd, "dev", "tmpfs", "tmpfs",
                                 MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
    sr_make_standard_devices(spec, devfd);
    fd = sr_mount_in_root(spec, SR_STEP_MOUNT_DEVPTS, devfd, "pts", "devpts", "devpts",
                          MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
    close(fd);
    fd = sr_mount_in_root(spec, SR_STEP_MOUNT_SHM, devfd, "shm", "shm", "tmpfs",
                          MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
    close(fd);
    fd = sr_mount_in_root(spec, SR_STEP_MOUNT_MQUEUE, devfd, "mqueue", "mqueue", "mqueue",
                          MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    close(fd);
    close(devfd);
    fd = sr_mount_in_root(spec, SR_STEP_MOUNT_SYS, rootfd, "sys", "sysfs", "sysfs",
                          MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    close(fd);
}

// Step 7 for --explain: the overlay attached (made by the parent) or mounted here.
static void narrate_overlay(const sr_child_spec *spec) {
    if (!spec->narrate) return;
    sr_text t = {.length = 0};
    sr_text_add(&t, spec->overlay_fd >= 0 ? "move_mount(fsmount(\"overlay\", " : "mount(\"overlay\", ");
    sr_text_quoted(&t, spec->overlay_fd >= 0 ? spec->overlay_options : spec->rootfs);
    sr_text_add(&t, spec->overlay_fd >= 0 ? "), " : ", \"overlay\", 0, ");
    sr_text_quoted(&t, spec->overlay_fd >= 0 ? spec->rootfs : spec->overlay_options);
    sr_text_add(&t, spec->overlay_fd >= 0 ? "): made by the parent while it launched" : ")");
    sr_narrate(spec, SR_STEP_MOUNT_OVERLAY, -1, &t);
}

static _Noreturn void run_child(const sr_child_spec *spec) {
    // 1-5: tie our life to the parent, wait for its go, cut ties with its
    // terminal. PDEATHSIG is set before we look for the go byte: if the
    // parent died in between, our copy of the write end is the only one
    // left, so after closing it the read returns EOF and we leave. A
    // bundle's container outlives `create` (its engine's shim reaps it),
    // but only once it is created: sr_wait_for_start clears the signal.
    if (sr_dies_with_parent(spec)) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) sr_fail(spec, SR_STEP_PDEATHSIG, -1);
        sr_narrate_call(spec, SR_STEP_PDEATHSIG, "prctl(PR_SET_PDEATHSIG, SIGKILL)");
    }
    sr_wait_for_go(spec);
    sr_narrate_call(spec, SR_STEP_WAIT_PARENT, "read(sync_fd) = 1: the parent says go");
    sr_join_cgroups_v1(spec);
    if (spec->clone_flags & CLONE_NEWUSER) sr_become_namespace_root(spec);
    // We are in the container's cgroups by now; a cgroup namespace made
    // here is rooted there, so the container sees only its own.
    if (spec->unshare_cgroup) {
        if (unshare(CLONE_NEWCGROUP) < 0) sr_fail(spec, SR_STEP_UNSHARE_CGROUP, -1);
        sr_narrate_call(spec, SR_STEP_UNSHARE_CGROUP, "unshare(CLONE_NEWCGROUP)");
    }
    // Namespaces to join (--network container:NAME, a bundle's paths),
    // before anything here could open a socket in the ones we were born in.
    join_namespaces(spec);
    if (setsid() < 0) sr_fail(spec, SR_STEP_SETSID, -1);
    sr_narrate_call(spec, SR_STEP_SETSID, "setsid()");
    // Non-dumpable until execve, so no process can ptrace us or open our
    // /proc/<pid>/ files while we hold host fds (CVE-2016-9962).
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) sr_fail(spec, SR_STEP_DUMPABLE, -1);
    sr_narrate_call(spec, SR_STEP_DUMPABLE, "prctl(PR_SET_DUMPABLE, 0)");

    // 6: nothing we mount from here on may propagate back to the host
    // (unless a bundle's rootfsPropagation asks for it).
    unsigned long propagation = spec->root_propagation != 0 ? spec->root_propagation : MS_REC | MS_PRIVATE;
    if (mount(NULL, "/", NULL, propagation, NULL) < 0) sr_fail(spec, SR_STEP_MOUNT_PRIVATE, -1);
    sr_narrate_call(spec, SR_STEP_MOUNT_PRIVATE, "mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)");

    // 7-8: the rootfs is an overlay that exists only in this mount
    // namespace; a bundle's is its own directory, bound onto itself so that
    // it is a mount point pivot_root can use. The parent usually made the
    // overlay already (fsmount), while it launched: attaching it is all
    // that is left. It is private, as everything here now is.
    if (spec->overlay_fd >= 0) {
        if (syscall(SYS_move_mount, spec->overlay_fd, "", AT_FDCWD, spec->rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            sr_fail(spec, SR_STEP_MOUNT_OVERLAY, -1);
        // Attached, it needs no fd; one held to the exec could be a way in
        // (a cwd of /proc/self/fd/N, CVE-2024-21626's shape).
        close(spec->overlay_fd);
        narrate_overlay(spec);
    } else if (spec->overlay_options != NULL) {
        if (mount("overlay", spec->rootfs, "overlay", 0, spec->overlay_options) < 0)
            sr_fail(spec, SR_STEP_MOUNT_OVERLAY, -1);
        narrate_overlay(spec);
    } else {
        if (mount(spec->rootfs, spec->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) sr_fail(spec, SR_STEP_MOUNT_ROOT, -1);
        sr_narrate_quoted(spec, SR_STEP_MOUNT_ROOT, "mount(", spec->rootfs, ", itself, NULL, MS_BIND|MS_REC, NULL)");
    }
    int rootfd = open(spec->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) sr_fail(spec, SR_STEP_OPEN_ROOTFS, -1);

    // 9-16: the special filesystems. umask 0 so modes are exactly as given.
    umask(0);
    if (!spec->mounts_complete) mount_standard_set(spec, rootfd);

    // 17-20: volumes and --tmpfs (a bundle's whole list), extra devices,
    // sysctls, then the masked and read-only paths last, so nothing mounted
    // earlier can uncover them.
    sr_mount_extra(spec, rootfd);
    if (spec->mounts_complete) sr_make_standard_devices_in_tmpfs(spec, rootfd);
    sr_make_devices(spec, rootfd);
    sr_write_sysctls(spec, rootfd);
    sr_mask_paths(spec, rootfd);
    sr_make_paths_readonly(spec, rootfd);

    // A bundle's hooks see the finished tree before it becomes "/": the
    // parent's (prestart, createRuntime), then createContainer here.
    if (spec->pause_for_hooks) sr_pause_for_hooks(spec);
    sr_run_hooks(spec, SR_HOOK_CREATE_CONTAINER);

    // 21-23: make the rootfs "/" and drop the host's tree entirely.
    // pivot_root(".", ".") stacks the old root on top of the new one, and the
    // lazy unmount removes it; unlike chroot, nothing of the host stays
    // reachable (pivot_root(2), "pivot_root(".", ".")").
    if (fchdir(rootfd) < 0) sr_fail(spec, SR_STEP_PIVOT_ROOT, -1);
    if (syscall(SYS_pivot_root, ".", ".") < 0) sr_fail(spec, SR_STEP_PIVOT_ROOT, -1);
    sr_narrate_call(spec, SR_STEP_PIVOT_ROOT, "fchdir(rootfs); pivot_root(\".\", \".\")");
    if (umount2(".", MNT_DETACH) < 0) sr_fail(spec, SR_STEP_UMOUNT_OLD_ROOT, -1);
    sr_narrate_call(spec, SR_STEP_UMOUNT_OLD_ROOT, "umount2(\".\", MNT_DETACH)");
    close(rootfd);
    if (spec->readonly_root) {
        if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0) sr_fail(spec, SR_STEP_READONLY_ROOT, -1);
        sr_narrate_call(spec, SR_STEP_READONLY_ROOT, "mount(NULL, \"/\", NULL, MS_BIND|MS_REMOUNT|MS_RDONLY, NULL)");
    }

    // 24-25: identity and network inside the new namespaces. A uts
    // namespace joined by path keeps its owner's name.
    if ((spec->clone_flags & CLONE_NEWUTS) && spec->hostname[0] != '\0') {
        if (sethostname(spec->hostname, strlen(spec->hostname)) < 0) sr_fail(spec, SR_STEP_HOSTNAME, -1);
        sr_narrate_quoted(spec, SR_STEP_HOSTNAME, "sethostname(", spec->hostname, ")");
    }
    if (spec->clone_flags & CLONE_NEWNET) {
        if (sr_loopback_up() < 0) sr_fail(spec, SR_STEP_LOOPBACK, -1);
        sr_narrate_call(spec, SR_STEP_LOOPBACK, "ioctl(SIOCSIFFLAGS, \"lo\", IFF_UP)");
    }
    if (spec->net_address != 0) configure_eth0(spec);
    if (spec->console_fd >= 0) sr_setup_console(spec);
    sr_finish_and_exec(spec);
}

_Noreturn void sr_finish_and_exec(const sr_child_spec *spec) {
    // 26-28: limits and the working directory. A cwd inherited through a
    // leaked fd would sit outside the root; getcwd(3) fails for such a
    // directory (CVE-2024-21626), so we check it rather than trust chdir.
    // run creates a missing working dir, as Docker does; exec does not.
    sr_set_rlimits(spec);
    if (sr_enter_dir(spec->cwd, spec->join_pidfd < 0) < 0) sr_fail(spec, SR_STEP_CHDIR, -1);
    sr_narrate_quoted(spec, SR_STEP_CHDIR, "chdir(", spec->cwd, ")");
    char cwd[SR_PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL || cwd[0] != '/') sr_fail(spec, SR_STEP_GETCWD, -1);
    sr_narrate_quoted(spec, SR_STEP_GETCWD, "getcwd() = ", cwd, "");
    if (spec->narrate) narrate_identity(spec);
    if (spec->exec_fifo_fd >= 0) {
        sr_wait_for_start(spec);
        sr_run_hooks(spec, SR_HOOK_START_CONTAINER);
    }

    // 29-34: the walls on the process itself. Without no_new_privs the
    // filter goes in now, while CAP_SYS_ADMIN is still held; with it, as
    // late as possible, after no_new_privs.
    if (!spec->no_new_privs) sr_load_seccomp(spec);
    sr_drop_bounding_set(spec);
    sr_switch_user(spec);
    sr_set_capabilities(spec);
    if (spec->no_new_privs) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) sr_fail(spec, SR_STEP_NO_NEW_PRIVS, -1);
        sr_narrate_call(spec, SR_STEP_NO_NEW_PRIVS, "prctl(PR_SET_NO_NEW_PRIVS, 1)");
        sr_load_seccomp(spec);
    }

    // 35-37: hand over a clean process: Docker's umask, default signals,
    // no inherited fds above 2 (the report pipe closes on exec), then exec.
    umask((mode_t)spec->umask);
    if (sr_reset_signals() < 0) sr_fail(spec, SR_STEP_SIGNALS, -1);
    sr_narrate_call(spec, SR_STEP_SIGNALS, "sigaction(1..64, SIG_DFL); sigprocmask(SIG_SETMASK, {})");
    if (syscall(SYS_close_range, 3U + (unsigned)spec->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        sr_fail(spec, SR_STEP_CLOSE_FDS, -1);
    sr_narrate_call(spec, SR_STEP_CLOSE_FDS, "close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)");
    // The parent's second byte, where eth0 did not take it: the device
    // filter it attached while we mounted is on. As late as can be, so
    // that its load overlaps all of the above. EOF: it failed, and says why.
    if (spec->await_parent_setup && spec->net_address == 0) {
        sr_read_sync_byte(spec, SR_STEP_WAIT_PARENT_SETUP);
        sr_narrate_call(spec, SR_STEP_WAIT_PARENT_SETUP, "read(sync_fd) = 1: the device filter is on");
    }
    sr_exec(spec);
}

// The calling thread's own namespace of TYPE, to come back to: an fd, or -1.
// (These kinds belong to a thread, not to the process; a mount or user
// namespace cannot be joined this way, and Bundle refuses them by path.)
static int own_namespace(int type) {
    const char *path = type == CLONE_NEWNET      ? "/proc/thread-self/ns/net"
                       : type == CLONE_NEWIPC    ? "/proc/thread-self/ns/ipc"
                       : type == CLONE_NEWUTS    ? "/proc/thread-self/ns/uts"
                       : type == CLONE_NEWCGROUP ? "/proc/thread-self/ns/cgroup"
                       : type == CLONE_NEWPID    ? "/proc/thread-self/ns/pid"
                                                 : NULL;
    if (path == NULL) {
        errno = EINVAL;
        return -1;
    }
    return open(path, O_RDONLY | O_CLOEXEC);
}

// What the child starts from: the spec, and the cloning thread's fds of
// its own namespaces when it cloned from joined ones (clone_in_joined).
typedef struct {
    const sr_child_spec *spec;
    const int *own_namespaces;
    int own_namespace_count;
} child_start;

// The child's whole life, on the stack sr_spawn_container gave it. Born in
// the joined namespaces, it closes its copies of the ways back to ours at
// once (they are CLOEXEC, but --init's pid 1 never execs). Its first record
// tells the parent it exists: with shared memory the thread that cloned it
// is suspended, and another thread answers from here on.
static _Noreturn void child_main(const child_start *start) {
    const sr_child_spec *spec = start->spec;
    for (int i = 0; i < start->own_namespace_count; i++)
        if (start->own_namespaces[i] >= 0) close(start->own_namespaces[i]);
    sr_report_value(spec, SR_STEP_CLONED, 0);
    if (spec->join_pidfd >= 0) sr_join_container(spec);
    run_child(spec);
}

// Shared memory only where the child execs soon and alone: not when it
// joins a running container (setns into a user namespace refuses a
// process whose memory is shared), runs --init (pid 1 stays this code and
// never execs), outlives its caller (exec -d) or waits for `start` (a
// bundle's create). Those keep fork semantics. x86-64 only: the trampoline
// below is written for it.
int sr_spawn_can_share_memory(const sr_child_spec *spec) {
#if defined(__x86_64__)
    return spec->join_pidfd < 0 && !spec->init && !spec->survive_parent && spec->exec_fifo_fd < 0;
#else
    (void)spec;
    return 0;
#endif
}

// clone3, and child_main(start) in the child (clone_on_stack.h).
static long clone3_on_stack(struct clone_args *args, const child_start *start) {
    return sr_clone3_on_stack(args, (void (*)(const void *))child_main, start);
}

// clone3 with the thread in the namespaces parent_joins names, then
// back in its own.
static long clone_in_joined(const sr_child_spec *spec, struct clone_args *args) {
    int saved[SR_MAX_JOINS];
    int joined = 0, failed = 0;
    long pid = -1;
    for (; joined < spec->join_count; joined++) {
        int type = spec->joins[joined].type;
        saved[joined] = -1;
        if (!parent_joins(spec, type)) continue;
        if ((saved[joined] = own_namespace(type)) < 0 || setns(spec->joins[joined].fd, type) < 0) {
            failed = errno;
            if (saved[joined] >= 0) close(saved[joined]);
            break;
        }
    }
    if (!failed) {
        child_start start = {.spec = spec, .own_namespaces = saved, .own_namespace_count = joined};
        pid = clone3_on_stack(args, &start);
        if (pid < 0) failed = (int)-pid;
    }
    for (int i = joined - 1; i >= 0; i--) {
        if (saved[i] < 0) continue;
        // Coming back cannot fail for a namespace we were in; if it did,
        // this thread must not go on in the container's.
        if (setns(saved[i], spec->joins[i].type) < 0) _exit(125);
        close(saved[i]);
    }
    return failed ? -failed : pid;
}

// The child's stack: 1 MiB, touched only as deep as its steps go, over a
// guard page. Fork semantics give the child its own copy of it; shared
// memory keeps it ours until the child execs, which is when we get it back.
#define CHILD_STACK_SIZE (1 << 20)

pid_t sr_spawn_container(const sr_child_spec *spec, int share_memory, pid_t *pid_out) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *stack = mmap(NULL, CHILD_STACK_SIZE + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return -errno;
    if (mprotect(stack, page, PROT_NONE) < 0) {
        int err = errno;
        munmap(stack, CHILD_STACK_SIZE + page);
        return -err;
    }
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = spec->clone_flags | CLONE_PARENT_SETTID;
    if (share_memory && sr_spawn_can_share_memory(spec)) args.flags |= CLONE_VM | CLONE_VFORK;
    args.exit_signal = SIGCHLD;
    args.parent_tid = (uint64_t)(uintptr_t)pid_out;
    args.stack = (uint64_t)(uintptr_t)(stack + page);
    args.stack_size = CHILD_STACK_SIZE;
    // Born in its cgroup: no migration afterwards, which on a busy host
    // waits for an RCU grace period (clone3(2), CLONE_INTO_CGROUP).
    if (spec->cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)spec->cgroup_fd;
    }
    child_start start = {.spec = spec, .own_namespaces = NULL, .own_namespace_count = 0};
    long pid = spec->join_count > 0 ? clone_in_joined(spec, &args) : clone3_on_stack(&args, &start);
    munmap(stack, CHILD_STACK_SIZE + page);
    return (pid_t)pid;
}
